"""Fixtures: one migrated database per run (SQLite, or PostgreSQL when asked), emptied between
tests; the real app behind an HTTP client; tokens minted the way `loop-live token` mints them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from loop_live.app import create_app
from loop_live.platform.auth.verifiers import mint_dev_token
from loop_live.platform.db import Database, Sql, open_database
from loop_live.platform.settings import Settings
from tests.databases import TABLES, migrated_database

AUTH_SECRET = "test-auth-secret-0123456789abcdef-xyz"
STREAM_SECRET = "test-stream-secret-0123456789abcdef-xyz"
WEBHOOKS_KEY = "test-webhooks-key-0123456789abcdef-xyz"
BRAND = "brand-a"
OTHER_BRAND = "brand-b"
ALL_SCOPES = ("read:live", "write:live", "manage:live", "admin:live")
# The suite fires thousands of requests from a few tokens and one address: limits are off
# unless a test turns them on (tests/platform/test_rate_limits.py).
NO_RATE_LIMITS = {
    "rate_limit_reads": 0,
    "rate_limit_writes": 0,
    "rate_limit_admin": 0,
    "rate_limit_auth_failures": 0,
}


@pytest.fixture(scope="session")
def tmp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("live")


@pytest.fixture(scope="session")
async def database_url(tmp_dir: Path) -> AsyncIterator[str]:
    async with migrated_database(tmp_dir) as url:
        yield url


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


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with AsyncTestClient(app=app, raise_server_exceptions=False) as test_client:
        yield test_client


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


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await open_database(database_url, 4)
    yield database
    await database.close()


@pytest.fixture(autouse=True)
async def _empty_tables(db: Database) -> None:
    async with db.write() as conn:
        for table in TABLES:
            await conn.execute(Sql(f"DELETE FROM {table}"))


@dataclass(frozen=True)
class Tokens:
    secret: str = AUTH_SECRET

    def __call__(
        self,
        sub: str = "member-1",
        *scopes: str,
        brand: str | None = BRAND,
        ttl: int = 3600,
    ) -> dict[str, str]:
        """Authorization headers for `sub` with `scopes` (read+write when none are named)."""
        granted = list(scopes) or ["read:live", "write:live"]
        return {"Authorization": f"Bearer {mint_dev_token(self.secret, sub, granted, brand, ttl)}"}

    def admin(self, sub: str = "admin-1", brand: str | None = BRAND) -> dict[str, str]:
        return self(sub, *ALL_SCOPES, brand=brand)


@pytest.fixture(scope="session")
def tokens() -> Tokens:
    return Tokens()


def session_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "host_id": "host-1",
        "brand_id": BRAND,
        "title": "Morning mobility",
        "scheduled_at": "2030-01-15T10:00:00+00:00",
        "max_participants": 10,
    }
    body.update(overrides)
    return body


@pytest.fixture
def new_session(client: httpx.AsyncClient, tokens: Tokens) -> Any:
    async def create(**overrides: Any) -> dict[str, Any]:
        body = session_body(**overrides)
        response = await client.post(
            "/v1/sessions", json=body, headers=tokens.admin(brand=body["brand_id"])
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return create
