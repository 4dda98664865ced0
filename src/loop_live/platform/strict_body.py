"""JSON bodies are checked strictly: `"60"` is not an integer here.

Litestar converts request data leniently (strings to numbers and so on), which is right for
query strings but not for a JSON API. This hook decodes the body once more, strictly, against the
handler's declared `data` model before the handler runs; reads never pay for it.

Before that, the body must be a document the service can hold and hand on: valid UTF-8 JSON,
nested at most MAX_DEPTH levels (deeper documents exhaust the decoder's recursion or, stored,
fail later when an event is encoded) and free of NUL characters (PostgreSQL text and jsonb
cannot store them).

A JSON number with a zero fraction (`327.0`, `1e2`) is an integer, as JSON Schema (and so the
OpenAPI document) says: it is read as an int before the strict check.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.handlers import HTTPRouteHandler

from loop_live.platform.errors import ValidationFailed
from loop_live.platform.idempotency import check_key

MAX_DEPTH = 32
_PATH = re.compile(r"^(?P<message>.*) - at `\$\.?(?P<path>[^`]*)`$")
_MUTATING = frozenset({"POST", "PATCH", "DELETE"})


def _number(literal: str) -> int | float:
    value = float(literal)
    return int(value) if value.is_integer() else value


_INTEGRAL = msgspec.json.Decoder(float_hook=_number)
_PLAIN = msgspec.json.Decoder()


def _model(handler: HTTPRouteHandler) -> type[Any] | None:
    # Not cached by id(handler): ids are reused once an app's handlers are freed, and then a
    # handler would be checked against another route's model.
    field = handler.parsed_fn_signature.parameters.get("data")
    return None if field is None else field.annotation


async def check_body(request: Request[Any, Any, Any]) -> None:
    # A malformed Idempotency-Key is refused before any step that runs ahead of the
    # transaction (a join's checks, a provider call) could answer something else.
    if request.method not in _MUTATING:
        return  # neither a body nor an Idempotency-Key means anything to a read
    key = request.headers.get("idempotency-key")
    if key is not None:
        check_key(key)
    model = _model(request.route_handler)
    if model is None:
        return
    body = await request.body()
    if not body.strip():
        return  # the framework reports the missing body
    document = decode_document(body, _INTEGRAL)
    check_document(document)
    try:
        msgspec.convert(document, type=model, strict=True)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(_message(str(exc))) from None


def decode_document(body: bytes, decoder: msgspec.json.Decoder[Any] = _PLAIN) -> Any:
    """The body as plain JSON values; 400 when it is not UTF-8 JSON a decoder can finish."""
    try:
        return decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"the request body is not valid UTF-8 JSON: {exc}") from None
    except RecursionError:
        raise _too_deep() from None


def check_document(document: Any) -> None:
    """400 when the document nests deeper than MAX_DEPTH or holds a NUL in any string."""
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            raise ValidationFailed("strings must not contain NUL characters (\\u0000)")
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise _too_deep()
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)


def _too_deep() -> ValidationFailed:
    return ValidationFailed(f"the request body nests more than {MAX_DEPTH} levels deep")


def _message(text: str) -> str:
    match = _PATH.match(text)
    if match is None or not match["path"]:
        return text
    return f"{match['path']}: {match['message']}"
