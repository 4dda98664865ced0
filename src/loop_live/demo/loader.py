"""Bulk-loads generated demo rows through the driver's fastest path (COPY on PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from loop_live.demo.generator import REGISTRATION_COLUMNS, SESSION_COLUMNS, Batch, batches
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Connection, Database, Sql
from loop_live.platform.db.sqlite import pin_statistics

_COUNT = Sql("SELECT count(*) FROM sessions")
_EMPTY = Sql(
    "SELECT NOT EXISTS (SELECT 1 FROM sessions) AND NOT EXISTS (SELECT 1 FROM registrations)"
)
# Kept up row by row, indexes that back no constraint cost most of a large load (keys in random
# UUID order touch a different page per row, and the pages outgrow shared_buffers), and the
# foreign key runs a lookup per registration; rebuilt once afterwards they take seconds.
_REBUILDABLE = {
    "postgresql": Sql(
        "SELECT format('DROP INDEX %I', c.relname) AS drop,"
        " pg_get_indexdef(i.indexrelid) AS rebuild FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid IN ('sessions'::regclass, 'registrations'::regclass)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
        " UNION ALL SELECT format('ALTER TABLE registrations DROP CONSTRAINT %I', conname),"
        " format('ALTER TABLE registrations ADD CONSTRAINT %I ', conname)"
        " || pg_get_constraintdef(oid)"
        " FROM pg_constraint WHERE conrelid = 'registrations'::regclass AND contype = 'f'"
    ),
    # SQLite: every index created by CREATE INDEX (a primary key's or UNIQUE column's own index
    # has no sql and cannot be dropped). The foreign key stays: its lookup hits the cache.
    "sqlite": Sql(
        "SELECT 'DROP INDEX \"' || name || '\"' AS \"drop\", sql AS rebuild FROM sqlite_schema"
        " WHERE type = 'index' AND tbl_name IN ('sessions', 'registrations')"
        " AND sql IS NOT NULL"
    ),
}
# SQLite keeps the pages a transaction dirtied in its page cache (2 MB by default) and spills
# the rest to the WAL, again and again for index pages in random key order.
_LOAD_CACHE_KIB = 512 * 1024


async def session_count(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.fetchval(_COUNT))


async def load(db: Database, total: int, progress: Callable[[int], None]) -> None:
    now = utcnow()
    # One transaction: a load that fails part way leaves the tables and their indexes as they were.
    async with db.write() as conn, _load_cache(conn):
        rebuild = await _drop_rebuildable(conn)
        for chunk in batches(total, now):
            await _copy(conn, chunk)
            progress(len(chunk.sessions))
        for statement in rebuild:
            await conn.execute(Sql(statement))
        if rebuild and conn.dialect == "sqlite":
            await pin_statistics(conn)  # DROP INDEX took the rebuilt indexes' rows with it


@asynccontextmanager
async def _load_cache(conn: Connection) -> AsyncIterator[None]:
    if conn.dialect != "sqlite":
        yield
        return
    before = await conn.fetchval(Sql("PRAGMA cache_size"))
    await conn.execute(Sql(f"PRAGMA cache_size = -{_LOAD_CACHE_KIB}"))
    try:
        yield
    finally:
        await conn.execute(Sql(f"PRAGMA cache_size = {int(before)}"))


async def _copy(conn: Connection, batch: Batch) -> None:
    await conn.copy("sessions", SESSION_COLUMNS, batch.sessions)
    await conn.copy("registrations", REGISTRATION_COLUMNS, batch.registrations)


async def _drop_rebuildable(conn: Connection) -> list[str]:
    """Only on empty tables, where rebuilding costs less than the load itself."""
    if not await conn.fetchval(_EMPTY):
        return []
    rows = await conn.fetch(_REBUILDABLE[conn.dialect])
    for row in rows:
        await conn.execute(Sql(row["drop"]))
    return [row["rebuild"] for row in rows]
