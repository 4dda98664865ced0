"""PostgreSQL through asyncpg: a pool, UTC sessions, generic plans for the hot statements."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from loop_live.platform.db.database import Dialect, Params, Row
from loop_live.platform.db.faults import CONFUSED, DatabaseLimits, UnstorableValue, postgres_faults
from loop_live.platform.db.readiness import PostgresProbe
from loop_live.platform.db.sql import Sql

_EMPTY: Params = {}
# Generic plans skip re-planning each prepared statement on every call (most of a list query's
# server time). Their costs assume an unknown LIMIT covers a tenth of the rows, which would
# trigger JIT compilation (~10 ms a call) for a 21-row page: JIT stays off.
_SERVER_SETTINGS = {
    "timezone": "UTC",
    "application_name": "loop-live",
    "plan_cache_mode": "force_generic_plan",
    "jit": "off",
}


def _bounded(limits: DatabaseLimits) -> dict[str, str]:
    return {
        **_SERVER_SETTINGS,
        "statement_timeout": str(limits.statement_timeout_ms),
        "lock_timeout": str(limits.lock_timeout_ms),
    }


def _client_timeout(limits: DatabaseLimits) -> float | None:
    # The server cancels at statement_timeout; this catches a server that stopped answering.
    if not limits.statement_timeout_ms:
        return None
    return limits.statement_timeout_ms / 1000 + limits.acquire_timeout_seconds


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _reset(conn: asyncpg.Connection) -> None:
    # The default reset runs RESET ALL/UNLISTEN/advisory unlock on every release; we leave no
    # session state behind, so only an abandoned transaction needs undoing.
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


@contextmanager
def _client_data_errors() -> Iterator[None]:
    # Class 22 errors (a NUL byte in text, a number out of range) come from what a client sent.
    try:
        yield
    except asyncpg.DataError as exc:
        raise UnstorableValue(f"a value cannot be stored: {exc.sqlstate} {exc}") from None


class PostgresConnection:
    dialect: Dialect = "postgresql"
    row_lock = " FOR UPDATE"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.raw = conn

    async def fetch(self, sql: Sql, params: Params | None = None) -> Sequence[Row]:
        text, args = sql.args(params or _EMPTY)
        with _client_data_errors():
            rows: Sequence[Row] = await self.raw.fetch(text, *args)
        return rows

    async def fetchrow(self, sql: Sql, params: Params | None = None) -> Row | None:
        text, args = sql.args(params or _EMPTY)
        with _client_data_errors():
            row: Row | None = await self.raw.fetchrow(text, *args)
        return row

    async def fetchval(self, sql: Sql, params: Params | None = None) -> Any:
        text, args = sql.args(params or _EMPTY)
        with _client_data_errors():
            return await self.raw.fetchval(text, *args)

    async def execute(self, sql: Sql, params: Params | None = None) -> int:
        text, args = sql.args(params or _EMPTY)
        with _client_data_errors():
            status: str = await self.raw.execute(text, *args)
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        await self.raw.copy_records_to_table(table, records=rows, columns=list(columns))

    async def notify(self, channel: str, payload: str) -> None:
        # Inside the transaction: PostgreSQL delivers it on commit, drops it on rollback.
        await self.raw.execute("SELECT pg_notify($1, $2)", channel, payload)


class PostgresDatabase:
    """Every wait is bounded: a pool slot, a new connection, a statement, a row lock. Whatever
    asyncpg raises when the server is gone or a bound passes leaves as `DatabaseUnavailable`."""

    dialect: Dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, limits: DatabaseLimits, probe: PostgresProbe) -> None:
        self._pool = pool
        self._acquire_timeout = limits.acquire_timeout_seconds
        self._probe = probe

    @classmethod
    async def open(cls, url: str, pool_size: int, limits: DatabaseLimits) -> PostgresDatabase:
        dsn = asyncpg_dsn(url)
        pool = await asyncpg.create_pool(
            dsn,
            init_size=1,  # connection problems show at start-up
            min_size=0,  # no background floor keeper logging a traceback a second in an outage
            max_size=pool_size,
            reset=_reset,
            server_settings=_bounded(limits),
            timeout=limits.acquire_timeout_seconds,  # connecting, when a slot must reconnect
            command_timeout=_client_timeout(limits),
        )
        return cls(pool, limits, PostgresProbe(dsn, limits.acquire_timeout_seconds))

    @asynccontextmanager
    async def _acquire(self) -> AsyncIterator[asyncpg.Connection]:
        # An idle connection is handed over at once: the timeout (a timer armed and cancelled
        # on every request) only bounds a wait for a free slot.
        timeout = None if self._pool.get_idle_size() else self._acquire_timeout
        async with self._pool.acquire(timeout=timeout) as conn:
            try:
                yield conn
            except CONFUSED:
                conn.terminate()
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PostgresConnection]:
        with postgres_faults():
            async with self._acquire() as conn:
                yield PostgresConnection(conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[PostgresConnection]:
        with postgres_faults():
            async with self._acquire() as conn, conn.transaction():
                yield PostgresConnection(conn)

    def usage(self) -> tuple[int, int]:
        return self._pool.get_size() - self._pool.get_idle_size(), self._pool.get_max_size()

    async def ping(self) -> None:
        await self._probe.check()

    async def close(self) -> None:
        await self._probe.close()
        await self._pool.close()
