"""Route helpers shared by every domain: the caller, its brand, documented error responses."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.openapi.datastructures import ResponseSpec

from loop_live.platform.auth import Principal
from loop_live.platform.errors import ValidationFailed
from loop_live.platform.runtime import Runtime

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
    503: "provider_not_configured / unavailable",
}


class ErrorBody(msgspec.Struct):
    error: str
    message: str


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(data_container=ErrorBody, description=_DESCRIPTIONS[status])
        for status in statuses
    }


READ_ERRORS = errors(400, 401, 403, 404, 429)
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 412, 413, 429)


def runtime(request: Request[Any, Any, Any]) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def principal(request: Request[Any, Any, Any]) -> Principal:
    caller: Principal = request.user
    return caller


def brand(request: Request[Any, Any, Any], requested: str | None = None) -> str:
    """The brand the call acts on: the token's, or one named by the body, query or header.

    Every brand the request names is checked, so a header cannot contradict the body.
    """
    header = request.headers.get("x-brand-id")
    if requested and header and requested != header:
        raise ValidationFailed(
            "X-Brand-Id and brand_id name different brands", parameter="brand_id"
        )
    return principal(request).brand_for(requested or header)
