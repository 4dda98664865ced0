"""Log lines as JSON or console text, each carrying the id of the request it was written in.

The request context lives in a contextvar set by `observe.RequestObserver`; the error handler
notes the error code (and an unexpected exception) on it, so the one line logged per failed
request can say why, and a traceback is printed at most once per request.
"""

from __future__ import annotations

import logging
import logging.config
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

LogFormat = Literal["json", "console"]
# The structured fields a request line carries (`extra=`); nothing else from a record is kept.
REQUEST_FIELDS = ("method", "route", "status", "code", "duration_ms")


@dataclass(slots=True)
class RequestContext:
    request_id: str
    error_code: str | None = None
    unexpected: BaseException | None = None


_current: ContextVar[RequestContext | None] = ContextVar("live_request", default=None)


def begin(request_id: str) -> Any:
    """Enter a request's context; pass the result to `end`."""
    return _current.set(RequestContext(request_id))


def end(token: Any) -> None:
    _current.reset(token)


def current() -> RequestContext | None:
    return _current.get()


def note_error(code: str, unexpected: BaseException | None = None) -> bool:
    """Record why the current request failed; False outside a request (the caller logs)."""
    context = _current.get()
    if context is None:
        return False
    context.error_code = code
    context.unexpected = unexpected or context.unexpected
    return True


def _request_id(record: logging.LogRecord) -> str | None:
    given: str | None = getattr(record, "request_id", None)
    if given:
        return given
    context = _current.get()
    return None if context is None else context.request_id


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _request_id(record)
        if request_id:
            entry["request_id"] = request_id
        entry.update((k, getattr(record, k)) for k in REQUEST_FIELDS if hasattr(record, k))
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry).decode()


class ConsoleFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        request_id = _request_id(record)
        return f"{line} [request_id={request_id}]" if request_id else line


def config(log_format: LogFormat, level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the root logger, the HTTP server's loggers included."""
    formatter = JsonFormatter if log_format == "json" else ConsoleFormatter
    through_root = {"handlers": [], "propagate": True}
    # The server's access lines would carry the raw path and query string (an email, a token):
    # the app writes its own request lines, by route template.
    silenced = {"handlers": [], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"live": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            "live": {
                "class": "logging.StreamHandler",
                "formatter": "live",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["live"], "level": level.upper()},
        "loggers": {
            "_granian": through_root,
            "granian.access": silenced,
        },
    }


def setup(log_format: LogFormat, level: str) -> None:
    logging.config.dictConfig(config(log_format, level))
