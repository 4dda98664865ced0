"""Route helpers shared by every domain: the caller, its brand, documented error responses."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter
from litestar.types import Receive, Scope, Send

from loop_live.platform.auth import Principal
from loop_live.platform.errors import ValidationFailed
from loop_live.platform.runtime import Runtime

AnyRequest = Request[Any, Any, Any]
JSON = "application/json"

_DESCRIPTIONS = {
    400: "validation_error: malformed JSON, unknown field, wrong type or bad parameter",
    401: "unauthenticated / invalid_token: missing, unreadable, expired or badly signed token",
    403: "insufficient_scope / forbidden: missing scope, or another brand's data",
    404: "not_found",
    409: "conflict / already_registered / idempotency_key_payload_mismatch",
    412: "invalid_state / at_capacity / not_joinable",
    413: "payload_too_large",
    429: "rate_limited (with Retry-After)",
    502: "provider_error: the video provider failed",
    503: "unavailable (database or identity service, with Retry-After) / provider_not_configured",
}


class ErrorBody(msgspec.Struct):
    error: str
    message: str


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=ErrorBody, description=_DESCRIPTIONS[status], generate_examples=False
        )
        for status in statuses
    }


# Every route behind a token: a bad token or brand, a missing scope, the rate limit, the database.
_GUARDED = (400, 401, 403, 429, 503)
LIST_ERRORS = errors(*_GUARDED)
READ_ERRORS = errors(*_GUARDED, 404)
WRITE_ERRORS = errors(*_GUARDED, 404, 409, 412, 413)
PROVIDER_ERRORS = errors(*_GUARDED, 404, 409, 412, 413, 502)

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        # documentation only: `idempotency.check_key` enforces it and names the header
        schema_extra={"minLength": 1, "maxLength": 128, "pattern": r"^[\x20-\x7e]+$"},
        description="1 to 128 printable ASCII characters. Replays the stored response of an"
        " earlier success with the same key and body; the same key with another body is 409."
        " Kept 24 hours.",
    ),
]


def runtime(request: Request[Any, Any, Any]) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def principal(request: Request[Any, Any, Any]) -> Principal:
    caller: Principal = request.user
    return caller


def header(scope: Scope, name: bytes) -> str | None:
    """A request header's first value, from the raw ASGI list (names arrive in lower case):
    the framework's case-insensitive multidict of every header cost 2% of a list request."""
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def brand(request: Request[Any, Any, Any], requested: str | None = None) -> str:
    """The brand the call acts on: the token's, or one named by the body, query or header.

    Every brand the request names is checked, so a header cannot contradict the body.
    """
    named = header(request.scope, b"x-brand-id")
    caller = principal(request)
    if requested and named and requested != named:
        # A brand-bound token naming another brand is 403 whichever way it names it.
        caller.brand_for(requested)
        caller.brand_for(named)
        raise ValidationFailed(
            "X-Brand-Id and brand_id name different brands", parameter="brand_id"
        )
    return caller.brand_for(requested or named)


def json_response(data: Any, status: int = 200) -> Response[Any]:
    """Encode with msgspec once; the declared response model only documents the shape."""
    return raw_response(msgspec.json.encode(data), status)


def raw_response(body: bytes, status: int, headers: dict[str, str] | None = None) -> Response[Any]:
    return EncodedJSON(body, status, headers or {})


class EncodedJSON(Response[bytes]):
    """A JSON body encoded already, sent as it is. Litestar's general path (cookies, header
    multidicts, rendering by media type) cost 3% of a list request for what is two messages."""

    __slots__ = ()

    def __init__(self, body: bytes, status: int, headers: dict[str, str]) -> None:
        self.content, self.status_code, self.headers = body, status, headers
        self.media_type, self.encoding, self.background, self.cookies = JSON, "utf-8", None, []
        self.response_type_encoders = {}

    def to_asgi_response(self, app: Any, request: Any, **options: Any) -> Any:
        if any(options.get(name) for name in _GENERAL):
            return super().to_asgi_response(app, request, **options)
        route_headers: dict[str, str] = options.get("headers") or {}
        return _Sent(self.status_code or 200, self.content, {**route_headers, **self.headers})


_GENERAL = ("background", "cookies", "encoded_headers", "is_head_response")


class _Sent:
    __slots__ = ("_body", "_start")

    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        raw = [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]
        raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        self._start = {"type": "http.response.start", "status": status, "headers": raw}
        self._body = {"type": "http.response.body", "body": body, "more_body": False}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(self._start)  # type: ignore[arg-type]
        await send(self._body)  # type: ignore[arg-type]
