"""`open_database` picks the engine from the URL; the engines import the interface, not this."""

from __future__ import annotations

from loop_live.platform.db.database import Database
from loop_live.platform.db.faults import DatabaseLimits
from loop_live.platform.db.postgres import PostgresDatabase
from loop_live.platform.db.sqlite import SqliteDatabase


async def open_database(
    url: str, pool_size: int = 10, limits: DatabaseLimits | None = None
) -> Database:
    limits = limits or DatabaseLimits()
    if url.startswith("sqlite"):
        return await SqliteDatabase.open(url, readers=min(pool_size, 4), limits=limits)
    return await PostgresDatabase.open(url, pool_size=pool_size, limits=limits)
