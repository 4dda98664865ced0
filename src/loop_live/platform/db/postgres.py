"""PostgreSQL through asyncpg: a pool, UTC sessions, generic plans for the hot statements."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from loop_live.platform.db.database import Dialect, Params, Row
from loop_live.platform.db.faults import (
    DatabaseLimits,
    UnstorableValue,
    postgres_faults,
    postgres_unavailable,
    reusable_after,
)
from loop_live.platform.db.pool import Pool
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

    def __init__(self, pool: Pool, probe: PostgresProbe) -> None:
        self._pool = pool
        self._probe = probe

    @classmethod
    async def open(cls, url: str, pool_size: int, limits: DatabaseLimits) -> PostgresDatabase:
        dsn = asyncpg_dsn(url)
        connect = partial(
            asyncpg.connect,
            dsn,
            server_settings=_bounded(limits),
            timeout=limits.acquire_timeout_seconds,
            command_timeout=_client_timeout(limits),
        )
        pool = Pool(connect, pool_size, limits.acquire_timeout_seconds)
        await pool.open_one()  # connection problems show at start-up
        return cls(pool, PostgresProbe(dsn, limits.acquire_timeout_seconds))

    def read(self) -> _Lease:
        return _Lease(self._pool)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[PostgresConnection]:
        async with _Lease(self._pool) as conn, conn.raw.transaction():
            yield conn

    def usage(self) -> tuple[int, int]:
        return self._pool.in_use, self._pool.size

    async def ping(self) -> None:
        await self._probe.check()

    async def close(self) -> None:
        await self._probe.close()
        await self._pool.close()


class _Lease:
    """A pooled connection for one unit of work. A class, not nested `@asynccontextmanager`
    generators: those cost 3% of a list request. A connection in an unknown protocol state is
    dropped, never handed to the next request; asyncpg's failures leave as the 503 they mean."""

    __slots__ = ("_conn", "_pool")

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def __aenter__(self) -> PostgresConnection:
        with postgres_faults():
            self._conn = await self._pool.acquire()
        return PostgresConnection(self._conn)

    async def __aexit__(self, kind: object, failure: BaseException | None, trace: object) -> None:
        self._pool.release(self._conn, reusable=reusable_after(failure))
        unavailable = postgres_unavailable(failure)
        if unavailable is not None:
            raise unavailable from failure
