"""Bulk-loads generated demo rows through the driver's fastest path (COPY on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

from loop_live.demo.generator import REGISTRATION_COLUMNS, SESSION_COLUMNS, Batch, batches
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Connection, Database, Sql

_COUNT = Sql("SELECT count(*) FROM sessions")
_EMPTY = Sql(
    "SELECT NOT EXISTS (SELECT 1 FROM sessions) AND NOT EXISTS (SELECT 1 FROM registrations)"
)
# Indexes that back no constraint. Kept up row by row, they cost most of a large load (keys in
# random UUID order touch a different page per row, and the pages outgrow shared_buffers);
# built once afterwards, from sorted input, they take seconds.
_SECONDARY_INDEXES = Sql(
    "SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition FROM pg_index i"
    " JOIN pg_class c ON c.oid = i.indexrelid"
    " WHERE i.indrelid IN ('sessions'::regclass, 'registrations'::regclass)"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
)


async def session_count(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.fetchval(_COUNT))


async def load(db: Database, total: int, progress: Callable[[int], None]) -> None:
    now = utcnow()
    if db.dialect != "postgresql":
        for batch in batches(total, now):
            async with db.write() as conn:
                await _copy(conn, batch)
            progress(len(batch.sessions))
        return
    # One transaction: a load that fails part way leaves the tables and their indexes as they were.
    async with db.write() as conn:
        rebuild = await _drop_secondary_indexes(conn)
        for batch in batches(total, now):
            await _copy(conn, batch)
            progress(len(batch.sessions))
        for definition in rebuild:
            await conn.execute(Sql(definition))


async def _copy(conn: Connection, batch: Batch) -> None:
    await conn.copy("sessions", SESSION_COLUMNS, batch.sessions)
    await conn.copy("registrations", REGISTRATION_COLUMNS, batch.registrations)


async def _drop_secondary_indexes(conn: Connection) -> list[str]:
    """Drop them only from empty tables, where rebuilding them costs no more than the load."""
    if not await conn.fetchval(_EMPTY):
        return []
    indexes = await conn.fetch(_SECONDARY_INDEXES)
    for index in indexes:
        await conn.execute(Sql(f'DROP INDEX "{index["name"]}"'))
    return [index["definition"] for index in indexes]
