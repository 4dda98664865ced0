"""JSON bodies are checked strictly: `"60"` is not an integer here.

Litestar converts request data leniently (strings to numbers and so on), which is right for
query strings but not for a JSON API. This hook decodes the body once more, strictly, against the
handler's declared `data` model before the handler runs; reads never pay for it.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.handlers import HTTPRouteHandler

from loop_live.platform.errors import ValidationFailed

_PATH = re.compile(r"^(?P<message>.*) - at `\$\.?(?P<path>[^`]*)`$")
_models: dict[int, type[Any] | None] = {}


def _model(handler: HTTPRouteHandler) -> type[Any] | None:
    key = id(handler)
    if key not in _models:
        field = handler.parsed_fn_signature.parameters.get("data")
        _models[key] = None if field is None else field.annotation
    return _models[key]


async def check_body(request: Request[Any, Any, Any]) -> None:
    model = _model(request.route_handler)
    if model is None:
        return
    body = await request.body()
    if not body.strip():
        return  # the framework reports the missing body
    try:
        msgspec.json.decode(body, type=model)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(_message(str(exc))) from None
    except msgspec.DecodeError:
        return  # malformed JSON: the framework reports it in its own words


def _message(text: str) -> str:
    match = _PATH.match(text)
    if match is None or not match["path"]:
        return text
    return f"{match['path']}: {match['message']}"
