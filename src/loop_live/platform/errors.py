"""Errors that carry their HTTP status, and the one handler that renders the contract's envelope."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE

from loop_live.platform import logs
from loop_live.platform.db.faults import DatabaseUnavailable, UnstorableValue

log = logging.getLogger("loop_live.errors")


class LiveError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(LiveError):
    status, code = 400, "validation_error"


class Unauthenticated(LiveError):
    status, code = 401, "unauthenticated"


class InvalidToken(LiveError):
    status, code = 401, "invalid_token"


class InvalidSignature(LiveError):
    status, code = 401, "invalid_signature"


class InsufficientScope(LiveError):
    status, code = 403, "insufficient_scope"


class Forbidden(LiveError):
    status, code = 403, "forbidden"


class NotFound(LiveError):
    status, code = 404, "not_found"


class Conflict(LiveError):
    status, code = 409, "conflict"


class AlreadyRegistered(LiveError):
    status, code = 409, "already_registered"


class IdempotencyKeyMismatch(LiveError):
    status, code = 409, "idempotency_key_payload_mismatch"


class InvalidState(LiveError):
    status, code = 412, "invalid_state"


class AtCapacity(LiveError):
    status, code = 412, "at_capacity"


class NotJoinable(LiveError):
    status, code = 412, "not_joinable"


class PayloadTooLarge(LiveError):
    status, code = 413, "payload_too_large"


class RateLimited(LiveError):
    status, code = 429, "rate_limited"

    def body(self) -> dict[str, Any]:
        ms = self.details["retry_after_ms"]
        return {"error": self.code, "message": self.message, "retry_after_ms": ms}


class ProviderError(LiveError):
    status, code = 502, "provider_error"


class ProviderNotConfigured(LiveError):
    status, code = 503, "provider_not_configured"


class Unavailable(LiveError):
    status, code = 503, "unavailable"


def _from_framework(exc: HTTPException) -> LiveError:
    """Map the framework's own errors (routing, body decoding) onto the contract's codes."""
    if isinstance(exc, ValidationException):
        problems = exc.extra if isinstance(exc.extra, list) else []
        if not problems:
            return ValidationFailed(str(exc.detail))
        parameter = _parameter(problems)
        if parameter is not None:  # the same shape as the service's own parameter errors
            return ValidationFailed(_validation_message(problems), parameter=parameter)
        return ValidationFailed(_validation_message(problems), errors=problems)
    if isinstance(exc, NotFoundException):
        return NotFound(exc.detail if exc.detail != "Not Found" else "no such route")
    if isinstance(exc, MethodNotAllowedException):
        error = LiveError("method not allowed on this route")
        error.status, error.code = 405, "method_not_allowed"
        return error
    if isinstance(exc, NotAuthorizedException):
        return Unauthenticated(str(exc.detail))
    if isinstance(exc, PermissionDeniedException):
        return Forbidden(str(exc.detail))
    if exc.status_code == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        return PayloadTooLarge("request body is too large")
    if isinstance(exc, ClientException):
        return ValidationFailed(str(exc.detail))
    error = LiveError(str(exc.detail))
    error.status, error.code = exc.status_code, "http_error"
    return error


def _parameter(problems: list[Any]) -> str | None:
    """The one query, path or header parameter a framework validation error is about."""
    if len(problems) != 1 or not isinstance(problems[0], dict):
        return None
    problem = problems[0]
    return str(problem["key"]) if problem.get("source") in _PARAMETER_SOURCES else None


_PARAMETER_SOURCES = ("query", "path", "header", "cookie")


def _validation_message(problems: list[Any]) -> str:
    first = problems[0] if problems else {}
    if isinstance(first, dict):
        key = first.get("key")
        message = str(first.get("message", "invalid request"))
        if key == "data" and message == "'data'":  # Litestar's KeyError text for an empty body
            return "a request body is required: a JSON object"
        if key in (None, "data"):
            return message
        return f"{key}: {message}"
    return str(first)


def _database_unavailable(request: Request[Any, Any, Any], exc: DatabaseUnavailable) -> LiveError:
    # One line, no traceback: an outage must not flood the log with a stack per request. Inside
    # a request that line is the request's own (platform/observe.py), which names the code.
    if not logs.note_error("unavailable"):
        log.warning("database unavailable on %s: %s", request.url.path, exc.reason)
    return Unavailable("the database is unavailable; retry shortly", retry_after=exc.retry_after)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    headers: dict[str, str] = {}
    if isinstance(exc, HTTPException):
        headers.update(exc.headers or {})  # e.g. the Allow header a 405 must carry
        exc = _from_framework(exc)
    if isinstance(exc, DatabaseUnavailable):
        exc = _database_unavailable(request, exc)
    if isinstance(exc, UnstorableValue):
        exc = ValidationFailed(str(exc))
    if not isinstance(exc, LiveError):
        if not logs.note_error("internal_error", exc):  # else the request's one line has it
            log.exception(
                "unhandled error on %s %s", request.method, request.scope.get("path_template")
            )
        exc = LiveError("internal error")
    logs.note_error(exc.code)
    body = exc.body()
    if "retry_after" in exc.details:
        headers["Retry-After"] = str(exc.details["retry_after"])
        body.setdefault("retry_after_ms", int(float(exc.details["retry_after"]) * 1000))
    return Response(body, status_code=exc.status, headers=headers)
