"""The app under test: its settings, and clients over a second app built with other settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from loop_live.app import create_app
from loop_live.platform.settings import Settings
from tests.support.auth import AUTH_SECRET

STREAM_SECRET = "test-stream-secret-0123456789abcdef-xyz"
WEBHOOKS_KEY = "test-webhooks-key-0123456789abcdef-xyz"
# The suite fires thousands of requests from a few tokens and one address: limits are off
# unless a test turns them on (tests/platform/test_rate_limits.py).
NO_RATE_LIMITS = {
    "rate_limit_reads": 0,
    "rate_limit_writes": 0,
    "rate_limit_admin": 0,
    "rate_limit_auth_failures": 0,
}


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "auth_secret": AUTH_SECRET,
        "stream_api_secret": STREAM_SECRET,
        "webhooks_secret_key": WEBHOOKS_KEY,
        "webhooks_allow_private": True,
        **NO_RATE_LIMITS,
        **overrides,
    }
    return Settings(**values)


@asynccontextmanager
async def app_client(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client over a second app on the test database, built with other settings, its
    lifespan running. Its pool is small: the session-wide app holds connections too."""
    settings = make_settings(database_url, **{"database_pool_size": 2, **overrides})
    async with AsyncTestClient(app=create_app(settings), raise_server_exceptions=False) as client:
        yield client


@asynccontextmanager
async def in_loop_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app served in the test's own event loop, for requests that must really overlap: the
    shared `client` hands each request to its portal thread and waits for the answer, so
    requests gathered over it run one by one. Enter it in the test itself: the lifespan's task
    group must exit in the task it began in."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://live") as c:
        yield c
