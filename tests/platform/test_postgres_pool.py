"""The PostgreSQL connection pool (shared test server): what one unit of work left unfinished
(a cancelled query, an open transaction) never reaches the next; a connection the server
dropped is replaced; waiters get freed connections in the order they asked; closing lets
in-flight work finish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from loop_live.platform.db import Database, DatabaseLimits, DatabaseUnavailable, Sql, open_database
from loop_live.platform.db.postgres import asyncpg_dsn

pytestmark = pytest.mark.postgres

_PID = Sql("SELECT pg_backend_pid()")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL pool: set LIVE_TEST_DATABASE_URL to run")
    database = await open_database(database_url, 1, DatabaseLimits(acquire_timeout_seconds=2))
    yield database
    await database.close()


async def _pid(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.fetchval(_PID))


async def test_a_unit_of_work_cancelled_mid_query_leaves_the_pool_serving_at_once(
    db: Database,
) -> None:
    async def sleeper() -> None:
        async with db.read() as conn:
            await conn.fetchval(Sql("SELECT pg_sleep(5)"))

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(1):  # not queued behind the abandoned pg_sleep
        async with db.read() as conn:
            assert await conn.fetchval(Sql("SELECT 41 + 1")) == 42


async def test_a_transaction_left_open_is_not_handed_on(db: Database) -> None:
    async with db.read() as conn:
        await conn.execute(Sql("BEGIN"))
        await conn.execute(Sql("SET LOCAL application_name = 'abandoned'"))
    async with db.read() as conn:
        assert await conn.fetchval(Sql("SHOW application_name")) == "loop-live"


async def test_a_connection_the_server_dropped_is_replaced(db: Database, database_url: str) -> None:
    dropped = await _pid(db)
    other = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await other.fetchval("SELECT pg_terminate_backend($1)", dropped)
    finally:
        await other.close()
    await asyncio.sleep(0.2)  # the client sees the socket close
    assert await _pid(db) != dropped


async def test_waiters_get_the_freed_connection_in_the_order_they_asked(db: Database) -> None:
    served: list[int] = []

    async def waiter(number: int) -> None:
        async with db.read() as conn:
            served.append(number)
            await conn.fetchval(Sql("SELECT 1"))

    async with db.read():
        waiters = [asyncio.create_task(waiter(n)) for n in range(5)]
        await asyncio.sleep(0.1)
        assert served == []  # the one connection is held
    await asyncio.gather(*waiters)
    assert served == [0, 1, 2, 3, 4]


async def test_a_waiter_that_gives_up_passes_the_connection_on(db: Database) -> None:
    async with db.read():
        impatient = asyncio.create_task(_pid(db))
        patient = asyncio.create_task(_pid(db))
        await asyncio.sleep(0.1)
        impatient.cancel()
    assert await asyncio.wait_for(patient, 2) > 0
    with pytest.raises(asyncio.CancelledError):
        await impatient


async def test_closing_lets_work_in_flight_finish_and_refuses_new_work(
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL pool: set LIVE_TEST_DATABASE_URL to run")
    db = await open_database(database_url, 2, DatabaseLimits())
    async with db.read() as conn:
        await db.close()
        assert await conn.fetchval(Sql("SELECT 1")) == 1
    with pytest.raises(DatabaseUnavailable):
        async with db.read():
            pass
    assert db.usage() == (0, 2)
