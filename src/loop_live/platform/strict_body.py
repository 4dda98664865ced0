"""JSON bodies are checked strictly: `"60"` is not an integer here.

Litestar converts request data leniently (strings to numbers and so on), which is right for
query strings but not for a JSON API. This hook decodes the body once more, strictly, against the
handler's declared `data` model before the handler runs; reads never pay for it.

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

_PATH = re.compile(r"^(?P<message>.*) - at `\$\.?(?P<path>[^`]*)`$")
_models: dict[int, type[Any] | None] = {}
_MUTATING = frozenset({"POST", "PATCH", "DELETE"})


def _number(literal: str) -> int | float:
    value = float(literal)
    return int(value) if value.is_integer() else value


_DECODER = msgspec.json.Decoder(float_hook=_number)


def _model(handler: HTTPRouteHandler) -> type[Any] | None:
    key = id(handler)
    if key not in _models:
        field = handler.parsed_fn_signature.parameters.get("data")
        _models[key] = None if field is None else field.annotation
    return _models[key]


async def check_body(request: Request[Any, Any, Any]) -> None:
    # A malformed Idempotency-Key is refused before any step that runs ahead of the
    # transaction (a join's checks, a provider call) could answer something else.
    key = request.headers.get("idempotency-key")
    if key is not None and request.method in _MUTATING:
        check_key(key)
    model = _model(request.route_handler)
    if model is None:
        return
    body = await request.body()
    if not body.strip():
        return  # the framework reports the missing body
    try:
        msgspec.convert(_DECODER.decode(body), type=model, strict=True)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(_message(str(exc))) from None
    except msgspec.DecodeError:
        return  # malformed JSON: the framework reports it in its own words


def _message(text: str) -> str:
    match = _PATH.match(text)
    if match is None or not match["path"]:
        return text
    return f"{match['path']}: {match['message']}"
