"""All SQL about registrations, and the seat counters they keep on their session."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from loop_live.platform.db import Connection, Row, Sql
from loop_live.platform.db.sql import SqlCache

_statements = SqlCache()
_MOVE_COUNTS = Sql(
    "UPDATE sessions SET registered_count = registered_count + :seats,"
    " waitlist_count = waitlist_count - :seats WHERE id = :session_id"
)


async def promote_waitlist(
    conn: Connection, session_id: uuid.UUID, seats: int, now: datetime
) -> Sequence[Row]:
    """Give up to `seats` free seats to the oldest waitlisted registrations; returns them."""
    if seats <= 0:
        return []
    oldest = _statements.get(
        "SELECT id, user_id, guest_email FROM registrations"
        " WHERE session_id = :session_id AND status = 'waitlist'"
        " ORDER BY registered_at, id LIMIT :seats" + conn.row_lock
    )
    rows = await conn.fetch(oldest, {"session_id": session_id, "seats": seats})
    for row in rows:
        await conn.execute(
            _statements.get(
                "UPDATE registrations SET status = 'registered', promoted_at = :now,"
                " updated_at = :now WHERE id = :id"
            ),
            {"id": row["id"], "now": now},
        )
    if rows:
        await conn.execute(_MOVE_COUNTS, {"session_id": session_id, "seats": len(rows)})
    return rows
