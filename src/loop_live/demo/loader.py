"""Bulk-loads generated demo rows through the driver's fastest path (COPY on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

from loop_live.demo.generator import REGISTRATION_COLUMNS, SESSION_COLUMNS, batches
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Database, Sql

_COUNT = Sql("SELECT count(*) FROM sessions")


async def session_count(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.fetchval(_COUNT))


async def load(db: Database, total: int, progress: Callable[[int], None]) -> None:
    now = utcnow()
    for batch in batches(total, now):
        async with db.write() as conn:
            await conn.copy("sessions", SESSION_COLUMNS, batch.sessions)
            await conn.copy("registrations", REGISTRATION_COLUMNS, batch.registrations)
        progress(len(batch.sessions))
