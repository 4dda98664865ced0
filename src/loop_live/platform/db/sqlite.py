"""SQLite through aiosqlite: WAL, a busy timeout, one writer, `BEGIN IMMEDIATE` transactions."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite
from sqlalchemy.engine import make_url

from loop_live.platform.db.database import Dialect, Params, Row
from loop_live.platform.db.sql import Sql

_EMPTY: Params = {}
BUSY_TIMEOUT_MS = 10_000


def _store_datetime(value: datetime) -> str:
    # SQLite has no datetime type: a fixed-width UTC text sorts and compares like the instant.
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


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


async def _connect(path: str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(
        path, isolation_level=None, detect_types=sqlite3.PARSE_DECLTYPES, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    return conn


class SqliteConnection:
    dialect: Dialect = "sqlite"
    row_lock = ""  # BEGIN IMMEDIATE already holds the write lock

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.raw = conn

    async def fetch(self, sql: Sql, params: Params | None = None) -> Sequence[Row]:
        return list(await self.raw.execute_fetchall(sql.text, params or _EMPTY))

    async def fetchrow(self, sql: Sql, params: Params | None = None) -> Row | None:
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: Sql, params: Params | None = None) -> Any:
        row = await self.fetchrow(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: Sql, params: Params | None = None) -> int:
        cursor = await self.raw.execute(sql.text, params or _EMPTY)
        count = cursor.rowcount
        await cursor.close()
        return max(count, 0)

    async def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        marks = ", ".join("?" for _ in columns)
        names = ", ".join(columns)
        await self.raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


class SqliteDatabase:
    """Readers run concurrently under WAL; writes queue on one connection in this process.

    Serialising writers in-process avoids SQLite's sleeping busy handler; `BEGIN IMMEDIATE`
    and the busy timeout still order writers across processes.
    """

    dialect: Dialect = "sqlite"

    def __init__(self, writer: aiosqlite.Connection, readers: list[aiosqlite.Connection]) -> None:
        self._writer = writer
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for reader in readers:
            self._readers.put_nowait(reader)
        self._all = [writer, *readers]

    @classmethod
    async def open(cls, url: str, readers: int) -> SqliteDatabase:
        path = sqlite_path(url)
        writer = await _connect(path)
        return cls(writer, [await _connect(path) for _ in range(max(readers, 1))])

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqliteConnection]:
        conn = await self._readers.get()
        try:
            yield SqliteConnection(conn)
        finally:
            self._readers.put_nowait(conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqliteConnection]:
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteConnection(self._writer)
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    def usage(self) -> tuple[int, int]:
        readers_in_use = len(self._all) - 1 - self._readers.qsize()
        return readers_in_use + self._write_lock.locked(), len(self._all)

    async def ping(self) -> None:
        async with self.read() as conn:
            await conn.raw.execute("SELECT 1")

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()
