"""The outermost layer of every HTTP request: its id, its metrics and its one log line.

A plain ASGI wrapper around Litestar's handler (outside routing, so 404s and 405s are seen too):
it costs a contextvar, a timer and two cached metric updates per request.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
from time import perf_counter
from typing import Any

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from loop_live.platform import logs, metrics
from loop_live.platform.http import header

log = logging.getLogger("loop_live.request")
UNMATCHED = "unmatched"  # the route label of a path no route matched: never the raw path
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Letters, digits and . _ : - only: an email or a bearer token sent as a request id is replaced
# rather than copied into every log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_HEADER = b"x-request-id"


def request_id(scope: Scope) -> str:
    given = header(scope, _HEADER)
    if given is not None and _REQUEST_ID.fullmatch(given):
        return given
    return _ids.next()


class _RequestIds:
    """32 hex digits, unique across processes: a random half drawn once per process (again
    after a fork) and a counter. A uuid4 per request cost 3% of a small request's time."""

    def __init__(self) -> None:
        self._pid = 0
        self._prefix = ""
        self._counter = itertools.count()

    def next(self) -> str:
        if self._pid != os.getpid():
            self._pid, self._prefix = os.getpid(), secrets.token_hex(8)
        return f"{self._prefix}{next(self._counter):016x}"


_ids = _RequestIds()


class _Series:
    """Metric children cached per (method, route, status): `labels()` takes a lock each call."""

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            labels = (method, route, str(status))
            children = metrics.REQUESTS.labels(*labels), metrics.LATENCY.labels(*labels)
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class RequestObserver:
    def __init__(self, app: ASGIApp, *, access_log: bool) -> None:
        self.app = app
        self.access_log = access_log
        self.series = _Series()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        token = logs.begin(rid)
        status = 500
        header = (_HEADER, rid.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        started = perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._finish(scope, status, perf_counter() - started)
            logs.end(token)

    def _finish(self, scope: HTTPScope, status: int, seconds: float) -> None:
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        route = scope.get("path_template") or UNMATCHED
        self.series.observe(method, route, status, seconds)
        if status >= 400 or self.access_log:
            _log_line(method, route, status, seconds)


def _log_line(method: str, route: str, status: int, seconds: float) -> None:
    context = logs.current()
    code = context.error_code if context else None
    fields = {"method": method, "route": route, "status": status, "code": code}
    fields["duration_ms"] = round(seconds * 1000, 1)
    level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
    unexpected = context.unexpected if context and status >= 500 else None
    text = f"{method} {route} {status}{f' {code}' if code else ''} {fields['duration_ms']}ms"
    log.log(level, text, extra=fields, exc_info=unexpected)


def install(app: Litestar, *, access_log: bool) -> Litestar:
    app.asgi_handler = RequestObserver(app.asgi_handler, access_log=access_log)
    return app
