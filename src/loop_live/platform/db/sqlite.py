"""SQLite through aiosqlite: WAL, a bounded busy timeout, one writer, `BEGIN IMMEDIATE`
transactions that always end (commit, or rollback, or a fresh writer connection)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite
from sqlalchemy.engine import make_url

from loop_live.platform.db.database import Connection, Dialect, Params, Row
from loop_live.platform.db.faults import DatabaseLimits, sqlite_faults
from loop_live.platform.db.sql import Sql

_EMPTY: Params = {}
Listener = Callable[[str, str], None]
log = logging.getLogger("loop_live.db")


def _store_datetime(value: datetime) -> str:
    # SQLite has no datetime type: a fixed-width UTC text sorts and compares like the instant.
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored")
    return value.astimezone(UTC).isoformat(timespec="microseconds")  # strftime: twice as slow


def _load_datetime(raw: bytes) -> datetime:
    return datetime.fromisoformat(raw.decode())


sqlite3.register_adapter(datetime, _store_datetime)
sqlite3.register_adapter(uuid.UUID, str)
sqlite3.register_converter("DATETIME", _load_datetime)
# aiosqlite logs every statement with its parameters at DEBUG, which would put patient ids and
# guest emails in the logs (SPEC §8) as soon as LIVE_LOG_LEVEL=DEBUG.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


def sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("SQLite needs a file path (several connections share it)")
    return database


async def _connect(path: str, busy_timeout_ms: int) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(
        path, isolation_level=None, detect_types=sqlite3.PARSE_DECLTYPES, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    await _run(conn, f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    await _run(conn, "PRAGMA journal_mode = WAL")
    await _run(conn, "PRAGMA synchronous = NORMAL")
    await _run(conn, "PRAGMA foreign_keys = ON")
    return conn


async def _run(conn: aiosqlite.Connection, sql: str) -> None:
    await _in_thread(conn, _statement, sql, _EMPTY)


async def _in_thread(conn: aiosqlite.Connection, step: Callable[..., Any], *args: Any) -> Any:
    """`step(sqlite3_connection, *args)` on the connection's own thread, in one trip. aiosqlite's
    public calls take one trip each for execute, fetchall and close (each a wake-up of that
    thread and then of the loop: 65 µs of CPU a query); its `_execute` queue is the only way to
    run the three as one. tests/inputs/test_sqlite_writer.py fails if a step leaves a statement
    open, which would keep the writer's transaction from ending."""
    queue: Callable[..., Awaitable[Any]] = conn._execute
    return await queue(step, conn._conn, *args)


def _rows(conn: sqlite3.Connection, sql: str, params: Params) -> list[Row]:
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()  # also when a row fails to convert: an open statement pins its snapshot


def _statement(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    cursor = conn.execute(sql, params)
    try:
        return max(cursor.rowcount, 0)
    finally:
        cursor.close()


# The planner's statistics for sessions, pinned: ANALYZE's figures over 1,000,000 demo sessions
# (3 brands of 200 hosts, 20 communities, 6 categories; about half of them open). Without
# statistics SQLite costs a partial index like a full one and walked ix_sessions_brand_time past
# every ended session for `?upcoming=true`; ANALYZE under an analysis_limit samples one brand
# and is as wrong; a full ANALYZE is right but blocks writers for seconds at 1M rows and lets
# plans drift with the data. Fixed figures give every list filter the same plan on any
# database, from the first request (decisions.md, issue 11). Rows for absent indexes are ignored.
_CREATE_STAT1 = Sql("ANALYZE sqlite_schema")  # creates sqlite_stat1; analyzes no index
_HAS_STAT1 = Sql("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'")
_STATISTICS = Sql("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'sessions'")
_DELETE_STATISTICS = Sql("DELETE FROM sqlite_stat1 WHERE tbl = 'sessions'")
SESSION_STATISTICS = {
    "ix_sessions_brand_time": "1000000 333333 1 1",
    "ix_sessions_brand_open_time": "477000 159000 1 1",
    "ix_sessions_brand_status_time": "1000000 333333 83350 1 1",
    "ix_sessions_brand_host_time": "1000000 333333 1670 1 1",
    "ix_sessions_brand_host_open_time": "477000 159000 800 1 1 1",
    "ix_sessions_brand_community_time": "1000000 333333 16400 1 1",
    "ix_sessions_brand_community_open_time": "477000 159000 7830 1 1 1",
    "ix_sessions_brand_kind_time": "1000000 333333 166700 1 1",
    "ix_sessions_brand_kind_open_time": "477000 159000 79510 1 1 1",
    "ix_sessions_brand_category_time": "1000000 333333 52640 1 1",
    "ix_sessions_brand_category_open_time": "477000 159000 25110 1 1 1",
    "ix_sessions_upcoming": "473000 1",
    "ux_sessions_series_slot": "1000000 333333 58840",
    "sqlite_autoindex_sessions_1": "1000000 1",
    "sqlite_autoindex_sessions_2": "1000000 3",
}


async def pin_statistics(conn: Connection) -> None:
    """Write SESSION_STATISTICS into sqlite_stat1 (replacing whatever ANALYZE left) inside the
    caller's write transaction. DROP INDEX deletes an index's row: a bulk load that rebuilds
    indexes pins again."""
    await conn.execute(_CREATE_STAT1)
    await conn.execute(_DELETE_STATISTICS)
    rows = [("sessions", index, stat) for index, stat in SESSION_STATISTICS.items()]
    await conn.copy("sqlite_stat1", ("tbl", "idx", "stat"), rows)
    await conn.execute(_CREATE_STAT1)  # ANALYZE also makes this connection re-read them


class SqliteConnection:
    dialect: Dialect = "sqlite"
    row_lock = ""  # BEGIN IMMEDIATE already holds the write lock

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.raw = conn
        self.notices: list[tuple[str, str]] = []

    async def fetch(self, sql: Sql, params: Params | None = None) -> Sequence[Row]:
        rows: list[Row] = await _in_thread(self.raw, _rows, sql.text, params or _EMPTY)
        return rows

    async def fetchrow(self, sql: Sql, params: Params | None = None) -> Row | None:
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: Sql, params: Params | None = None) -> Any:
        row = await self.fetchrow(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: Sql, params: Params | None = None) -> int:
        changed: int = await _in_thread(self.raw, _statement, sql.text, params or _EMPTY)
        return changed

    async def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        marks = ", ".join("?" for _ in columns)
        names = ", ".join(columns)
        await self.raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    async def notify(self, channel: str, payload: str) -> None:
        self.notices.append((channel, payload))


class SqliteDatabase:
    """Readers run concurrently under WAL; writes queue on one connection in this process.

    Serialising writers in-process avoids SQLite's sleeping busy handler; `BEGIN IMMEDIATE`
    and the busy timeout still order writers across processes. Waiting for the in-process
    turn and for another process's lock are both bounded: past them, `DatabaseUnavailable`.
    """

    dialect: Dialect = "sqlite"
    _writer: aiosqlite.Connection
    _probe: aiosqlite.Connection  # for /readyz: never waits behind busy readers

    def __init__(self, path: str, limits: DatabaseLimits) -> None:
        self._path = path
        self._limits = limits
        self._wait = limits.acquire_timeout_seconds
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all: list[aiosqlite.Connection] = []
        self.listeners: list[Listener] = []  # called with each notice after its commit

    @classmethod
    async def open(cls, url: str, readers: int, limits: DatabaseLimits) -> SqliteDatabase:
        database = cls(sqlite_path(url), limits)
        database._writer = await database._connect()
        if await database._statistics() != SESSION_STATISTICS:  # written once per database
            async with database.write() as conn:  # before any reader has read the schema
                await pin_statistics(conn)
        database._probe = await database._connect()
        for _ in range(max(readers, 1)):
            database._readers.put_nowait(await database._connect())
        return database

    async def _statistics(self) -> dict[str, str]:
        conn = SqliteConnection(self._writer)  # no transaction: one consistent statement each
        if not await conn.fetchval(_HAS_STAT1):
            return {}
        return {row[0]: row[1] for row in await conn.fetch(_STATISTICS)}

    async def _connect(self) -> aiosqlite.Connection:
        conn = await _connect(self._path, self._limits.busy_timeout_ms)
        self._all.append(conn)
        return conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqliteConnection]:
        with sqlite_faults():
            conn = await self._reader()
            try:
                yield SqliteConnection(conn)
            finally:
                self._readers.put_nowait(conn)

    async def _reader(self) -> aiosqlite.Connection:
        if not self._readers.empty():  # an idle reader: no timeout to arm
            return self._readers.get_nowait()
        async with asyncio.timeout(self._wait):
            return await self._readers.get()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqliteConnection]:
        with sqlite_faults():
            async with self._writer_turn():
                await _run(self._writer, "BEGIN IMMEDIATE")
                conn = SqliteConnection(self._writer)
                try:
                    yield conn
                    await _run(self._writer, "COMMIT")
                except BaseException:
                    await self._rollback()
                    raise
        self._announce(conn.notices)

    def _announce(self, notices: list[tuple[str, str]]) -> None:
        for channel, payload in notices:
            for listener in self.listeners:
                listener(channel, payload)

    @asynccontextmanager
    async def _writer_turn(self) -> AsyncIterator[None]:
        async with asyncio.timeout(self._wait):
            await self._write_lock.acquire()
        try:
            yield
        finally:
            self._write_lock.release()

    async def _rollback(self) -> None:
        """End the failed transaction; if even that fails, start over on a new connection so
        the next writer never inherits a half-open transaction."""
        try:
            if self._writer.in_transaction:
                await _run(self._writer, "ROLLBACK")
        except sqlite3.Error as exc:
            log.warning("SQLite rollback failed (%s); reopening the writer", type(exc).__name__)
            old, self._writer = self._writer, await self._connect()
            self._all.remove(old)
            await old.close()

    def usage(self) -> tuple[int, int]:
        size = len(self._all) - 1  # the /readyz probe is not one of the pool's connections
        readers_in_use = size - 1 - self._readers.qsize()
        return readers_in_use + self._write_lock.locked(), size

    async def ping(self) -> None:
        with sqlite_faults():
            async with asyncio.timeout(self._wait):
                await _run(self._probe, "SELECT 1 FROM sqlite_master LIMIT 1")

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()
