"""GET /v1/live/sessions/{id}/events and GET /v1/live/events (SPEC §14): thin handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, get
from litestar.params import FromPath
from litestar.response import ServerSentEvent

from loop_live.platform import http, options
from loop_live.platform.auth.principal import READ
from loop_live.platform.errors import NotFound
from loop_live.realtime.hub import Hub
from loop_live.realtime.listener import Listener
from loop_live.realtime.stream import Stream, Watch, read_session
from loop_live.sessions import params as q

AnyRequest = Request[Any, Any, Any]
EVENT_STREAM = "text/event-stream"
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """After the runtime's lifespan: the hub and this process's listener."""
    runtime = app.state.runtime
    settings = runtime.settings
    app.state.hub = Hub(settings.sse_resume_window)
    listener = Listener(app.state.hub)
    await listener.start(settings.database_url, runtime.db)
    try:
        yield
    finally:
        await listener.stop()


def _stream(request: AnyRequest, watch: Watch) -> Stream:
    rt = http.runtime(request)
    return Stream(rt.db, request.app.state.hub, watch, rt.settings.sse_heartbeat_seconds)


@get(
    "/v1/live/sessions/{session_id:str}/events",
    opt={"scope": READ},
    responses=http.READ_ERRORS,
    tags=["real time"],
    media_type=EVENT_STREAM,
)
async def session_events(request: AnyRequest, session_id: FromPath[str]) -> ServerSentEvent:
    """A `session` event with the session's shape now, and after each change to it."""
    principal = http.principal(request)
    watch = Watch(http.brand(request), principal.subject, session_id=session_id)
    stream = _stream(request, watch)
    first = await read_session(stream.db, watch, session_id)
    if first is None:
        raise NotFound("session not found")
    watch = Watch(watch.brand, watch.viewer, session_id=first["id"])
    stream.watch = watch
    last_id = request.headers.get("last-event-id")
    return ServerSentEvent(stream.events(last_id, first), headers=HEADERS)


@get(
    "/v1/live/events",
    opt={"scope": READ},
    responses=http.READ_ERRORS,
    tags=["real time"],
    media_type=EVENT_STREAM,
)
async def brand_events(
    request: AnyRequest, host_id: q.Text = None, community_id: q.Text = None
) -> ServerSentEvent:
    """A `session` event after each change to one of the brand's sessions (filters optional).

    A `reset` event means `Last-Event-ID` fell outside the resume window: list again."""
    principal = http.principal(request)
    watch = Watch(http.brand(request), principal.subject, None, host_id, community_id)
    last_id = request.headers.get("last-event-id")
    return ServerSentEvent(_stream(request, watch).events(last_id, None), headers=HEADERS)


handlers = [options.router("/", [session_events, brand_events])]
