"""Fixtures: one migrated database per run (SQLite, or PostgreSQL when asked), emptied between
tests; the real app behind an HTTP client; tokens minted the way `loop-live token` mints them;
sessions made through the API. Helpers live in tests/support/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from loop_live.app import create_app
from loop_live.platform.db import Database, Sql, open_database
from loop_live.platform.settings import Settings
from tests.support.app import make_settings
from tests.support.auth import BRAND, Tokens
from tests.support.databases import TABLES, migrated_database
from tests.support.fakes.getstream_server import FakeGetStream
from tests.support.providers import getstream_app
from tests.support.sessions import create_session


@pytest.fixture(scope="session")
def tmp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("live")


@pytest.fixture(scope="session")
async def database_url(tmp_dir: Path) -> AsyncIterator[str]:
    async with migrated_database(tmp_dir) as url:
        yield url


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


@pytest.fixture(scope="session")
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture
def new_session(client: httpx.AsyncClient, tokens: Tokens) -> Any:
    async def create(**overrides: Any) -> dict[str, Any]:
        brand = overrides.get("brand_id", BRAND)
        response = await create_session(client, tokens.admin(brand=brand), **overrides)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return create


@pytest.fixture
async def stream(database_url: str) -> AsyncIterator[tuple[FakeGetStream, httpx.AsyncClient]]:
    """The app with the `getstream` provider and the fake of GetStream it talks to."""
    async with getstream_app(database_url) as pair:
        yield pair
