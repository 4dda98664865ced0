"""Assembles the Litestar application from settings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from granian.utils.proxies import wrap_asgi_with_proxy_headers
from litestar import Litestar
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from loop_live.attendance import routes as attendance
from loop_live.board import routes as board
from loop_live.calendars import routes as calendars
from loop_live.calls import routes as calls
from loop_live.events import inprocess
from loop_live.outbound import routes as outbound
from loop_live.platform import collector, docs, health, http, logs, metrics, observe, options
from loop_live.platform.auth.middleware import BearerAuthMiddleware
from loop_live.platform.auth.verifiers import build_verifier
from loop_live.platform.cursor import CursorCodec
from loop_live.platform.db import open_database
from loop_live.platform.db.limits import database_limits
from loop_live.platform.errors import handle_exception
from loop_live.platform.ratelimit import (
    ClientLimitMiddleware,
    FailureLimitMiddleware,
    build_limiter,
)
from loop_live.platform.request_checks import check_request
from loop_live.platform.runtime import Runtime
from loop_live.platform.settings import Settings, load
from loop_live.providers import build_provider
from loop_live.realtime import routes as realtime
from loop_live.registrations import routes as registrations
from loop_live.series import routes as series
from loop_live.sessions import admin_routes as admin_sessions
from loop_live.sessions import routes as sessions
from loop_live.webhooks import routes as webhooks

log = logging.getLogger("loop_live.app")


def create_app(settings: Settings) -> Litestar:
    settings.check_production_safety()
    limiter = build_limiter(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = await open_database(
            settings.database_url, settings.database_pool_size, database_limits(settings)
        )
        provider = build_provider(settings)
        async with httpx.AsyncClient(timeout=settings.identity_timeout_seconds) as client:
            app.state.runtime = Runtime(
                settings=settings,
                db=db,
                http=client,
                verifier=build_verifier(settings, client),
                cursors=CursorCodec(settings.cursor_key()),
                provider=provider,
            )
            log.info("application started")
            try:
                yield
            finally:
                await provider.close()
                await db.close()
                log.info("database pool closed")

    api = [
        *sessions.handlers,
        *admin_sessions.handlers,
        *registrations.handlers,
        *calls.handlers,
        *webhooks.handlers,
        *outbound.handlers,
        *series.handlers,
        *calendars.handlers,
        *realtime.handlers,
        *attendance.handlers,
    ]
    app = Litestar(
        route_handlers=[
            *health.handlers,
            *metrics.handlers,
            *docs.handlers,
            *board.handlers,
            *options.handlers_for(api),
            *api,
        ],
        plugins=[docs.StrictStructs()],
        on_startup=[docs.finish],
        # collector last: what the others set up is long-lived and frozen with the rest.
        lifespan=[
            lifespan,
            realtime.lifespan,
            metrics.lifespan,
            inprocess.lifespan,
            collector.lifespan,
        ],
        middleware=[
            DefineMiddleware(FailureLimitMiddleware, limiter=limiter),
            DefineMiddleware(BearerAuthMiddleware, exclude=["^/docs"]),
            DefineMiddleware(ClientLimitMiddleware, limiter=limiter),
        ],
        exception_handlers={Exception: handle_exception},
        before_request=check_request,
        openapi_config=docs.openapi_config,
        request_max_body_size=settings.max_body_bytes,
        logging_config=None,
    )
    return observe.install(app, access_log=settings.access_log)


def app_from_environment() -> ASGIApp:
    """The factory `serve` hands its server processes: settings read once, here. The client
    address comes from X-Forwarded-For only when the peer is a trusted proxy."""
    settings = load()
    logs.setup(settings.log_format, settings.log_level)
    return _behind_proxies(create_app(settings), settings.forwarded_allow_ips)


_CONNECTIONS = frozenset({"http", "websocket"})  # not lifespan, which has no headers


def _behind_proxies(app: ASGIApp, trusted: str) -> ASGIApp:
    """granian's X-Forwarded-For rules, for the requests that carry the header: the wrapper
    parses the peer's address with `ipaddress` on every request (2% of a list request), and
    does nothing else when the header is absent."""
    proxied = wrap_asgi_with_proxy_headers(app, trusted)

    async def forwarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in _CONNECTIONS and http.header(scope, b"x-forwarded-for") is not None:
            await proxied(scope, receive, send)
        else:
            await app(scope, receive, send)

    return forwarded
