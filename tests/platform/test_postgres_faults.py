"""PostgreSQL bounds (shared test server, own database): a held row lock delays only requests
for that row, and only up to the lock timeout; an exhausted pool answers 503 after the acquire
bound while /readyz, on its own connection, still answers ready; a dead server is 503 fast; a
transaction whose connection dies is 503 and stores nothing."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest

from loop_live.platform.db import DatabaseLimits, DatabaseUnavailable, Sql, open_database
from loop_live.platform.db.postgres import asyncpg_dsn
from loop_live.platform.db.readiness import PostgresProbe
from tests.support.app import in_loop_client, make_settings
from tests.support.auth import Tokens
from tests.support.servers import free_port

pytestmark = pytest.mark.postgres


def _require_postgres(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL row locks and pools: set LIVE_TEST_DATABASE_URL to run")


@asynccontextmanager
async def _row_locked(database_url: str, session_id: str) -> AsyncIterator[None]:
    """Another client holds the session row FOR UPDATE until the block ends."""
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with holder.transaction():
            await holder.execute(
                "SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE", uuid.UUID(session_id)
            )
            yield
    finally:
        await holder.close()


async def _timed(call: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    response = await asyncio.wait_for(call, timeout=10)  # a hang fails rather than stalls
    return response, time.monotonic() - began


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error"] == "unavailable"
    assert response.json()["retry_after_ms"] == 1000


async def test_a_held_row_lock_delays_only_that_row_and_only_up_to_the_lock_timeout(
    database_url: str, new_session: Any, tokens: Tokens
) -> None:
    _require_postgres(database_url)
    session = await new_session()
    settings = make_settings(database_url, database_lock_timeout_ms=1000)
    path = f"/v1/admin/sessions/{session['id']}"
    async with in_loop_client(settings) as http:
        async with _row_locked(database_url, session["id"]):
            listed, list_seconds = await _timed(http.get("/v1/live/sessions", headers=tokens()))
            edit = http.patch(path, json={"title": "Renamed"}, headers=tokens.admin())
            refused, edit_seconds = await _timed(edit)
        after = await http.patch(path, json={"title": "Renamed"}, headers=tokens.admin())
    assert listed.status_code == 200
    assert list_seconds < 0.5
    _assert_unavailable(refused)
    assert 0.9 < edit_seconds < 3
    assert after.status_code == 200  # the lock released, the same edit goes through
    assert after.json()["title"] == "Renamed"


async def test_an_exhausted_pool_is_503_after_the_bound_while_readyz_stays_ready(
    database_url: str, new_session: Any, tokens: Tokens
) -> None:
    _require_postgres(database_url)
    session = await new_session()
    settings = make_settings(
        database_url,
        database_pool_size=2,
        database_acquire_timeout_seconds=0.5,
        database_lock_timeout_ms=3000,
    )
    path = f"/v1/admin/sessions/{session['id']}"
    async with in_loop_client(settings) as http:
        async with _row_locked(database_url, session["id"]):
            # two edits wait on the row lock, each holding one of the two pool slots
            stuck = [
                asyncio.create_task(
                    http.patch(path, json={"title": f"t{n}"}, headers=tokens.admin())
                )
                for n in range(2)
            ]
            await asyncio.sleep(0.3)
            listed, list_seconds = await _timed(http.get("/v1/live/sessions", headers=tokens()))
            ready, ready_seconds = await _timed(http.get("/readyz"))
        edits = await asyncio.gather(*stuck)
    _assert_unavailable(listed)
    assert 0.4 < list_seconds < 1.5
    assert ready.status_code == 200
    assert ready_seconds < 0.3
    assert [edit.status_code for edit in edits] == [200, 200]  # the lock was released in time


async def test_a_statement_past_the_timeout_is_unavailable_and_the_pool_serves_on(
    database_url: str,
) -> None:
    _require_postgres(database_url)
    db = await open_database(database_url, 1, DatabaseLimits(statement_timeout_ms=200))
    try:
        began = time.monotonic()
        with pytest.raises(DatabaseUnavailable, match="QueryCanceledError"):
            async with db.read() as conn:
                await conn.fetchval(Sql("SELECT pg_sleep(2)"))
        assert time.monotonic() - began < 1
        async with db.write() as conn:  # the one pooled connection is still good
            assert await conn.fetchval(Sql("SELECT 1")) == 1
    finally:
        await db.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "10.255.255.1"], ids=["refused", "blackhole"])
async def test_readiness_on_a_dead_server_is_unavailable_within_the_bound(host: str) -> None:
    probe = PostgresProbe(f"postgresql://postgres@{host}:{free_port()}/postgres", timeout=0.5)
    began = time.monotonic()
    with pytest.raises(DatabaseUnavailable):
        await probe.check()
    assert time.monotonic() - began < 1
    await probe.close()


async def test_a_write_whose_connection_dies_mid_transaction_is_503_and_leaves_nothing(
    database_url: str, new_session: Any, tokens: Tokens
) -> None:
    _require_postgres(database_url)
    session = await new_session()
    settings = make_settings(database_url, database_lock_timeout_ms=5000)
    path = f"/v1/admin/sessions/{session['id']}"
    async with in_loop_client(settings) as http:
        async with _row_locked(database_url, session["id"]):
            edit = asyncio.create_task(
                http.patch(path, json={"title": "Never stored"}, headers=tokens.admin())
            )
            await asyncio.sleep(0.3)  # the edit now waits on the row, inside its transaction
            killed = await _terminate_waiting_backends(database_url)
            refused = await asyncio.wait_for(edit, timeout=10)
        current = await http.get(f"/v1/sessions/{session['id']}", headers=tokens())
        again = await http.patch(path, json={"title": "Stored"}, headers=tokens.admin())
    assert killed == 1
    _assert_unavailable(refused)
    assert current.json()["title"] == session["title"]
    assert again.status_code == 200  # the pool replaced the dead connection


async def _terminate_waiting_backends(database_url: str) -> int:
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        killed: int = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = 'loop-live'"
            " AND wait_event_type = 'Lock'"
        )
    finally:
        await admin.close()
    return killed
