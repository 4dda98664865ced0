"""The SQL of the scheduled jobs: open sessions past their time, live calls to reconcile."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from loop_live.platform.db import Connection, Row, Sql

_STALE = (
    "SELECT id, brand_id, status, stream_call_id, ends_at, started_at FROM sessions"
    " WHERE status IN ('scheduled', 'live') AND ends_at < :cutoff ORDER BY ends_at LIMIT :batch"
)
# Another worker closing the same rows skips them instead of waiting, then finds them closed.
_STALE_SQL = {"postgresql": Sql(_STALE + " FOR UPDATE SKIP LOCKED"), "sqlite": Sql(_STALE)}
_TO_RECONCILE = Sql(
    "SELECT id, status, stream_call_id FROM sessions WHERE status IN ('scheduled', 'live')"
    " AND stream_call_id IS NOT NULL AND scheduled_at < :cutoff ORDER BY scheduled_at"
    " LIMIT :batch"
)


async def stale_sessions(conn: Connection, cutoff: datetime, batch: int) -> Sequence[Row]:
    """Open sessions that ended before `cutoff`, locked (PostgreSQL) for this transaction."""
    return await conn.fetch(_STALE_SQL[conn.dialect], {"cutoff": cutoff, "batch": batch})


async def open_calls(conn: Connection, cutoff: datetime, batch: int) -> Sequence[Row]:
    """Open sessions with a provider call, scheduled to start before `cutoff`."""
    return await conn.fetch(_TO_RECONCILE, {"cutoff": cutoff, "batch": batch})
