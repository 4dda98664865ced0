"""Seats: the counters a session row keeps of its registrations, and the waitlist promotion
that fills free seats. Callers hold the session's row lock (see `service`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from loop_live.platform import journal
from loop_live.platform.db import Connection, Row, Sql
from loop_live.platform.db.sql import SqlCache
from loop_live.platform.journal import Actor
from loop_live.registrations import repository as repo

_statements = SqlCache()
_COUNTS = Sql(
    "UPDATE sessions SET registered_count = registered_count + :registered,"
    " waitlist_count = waitlist_count + :waitlist WHERE id = :session_id"
)
_MOVE_COUNTS = Sql(
    "UPDATE sessions SET registered_count = registered_count + :seats,"
    " waitlist_count = waitlist_count - :seats WHERE id = :session_id"
)


async def count(conn: Connection, session_id: uuid.UUID, status: str, step: int) -> None:
    """A registration in `status` arrived (`step` +1) or left (-1)."""
    await conn.execute(_COUNTS, {"session_id": session_id, **_deltas(status, step)})


def _deltas(status: str, step: int) -> dict[str, int]:
    return {
        "registered": step if status == "registered" else 0,
        "waitlist": step if status == "waitlist" else 0,
    }


async def promote(conn: Connection, actor: Actor, session_id: uuid.UUID, seats: int) -> int:
    """Give free seats to the oldest waitlisted registrations, each audited and announced."""
    promoted = await _promote_waitlist(conn, session_id, seats, actor.now)
    for row in promoted:
        fresh = await repo.by_id(conn, uuid.UUID(str(row["id"])))
        assert fresh is not None
        await journal.record(
            conn,
            actor,
            action="registration.promote",
            entity=("registration", str(row["id"])),
            details={"session_id": str(session_id)},
            event="live.registration.promoted.v1",
            payload=repo.registration_json(fresh),
        )
    return len(promoted)


async def _promote_waitlist(
    conn: Connection, session_id: uuid.UUID, seats: int, now: datetime
) -> Sequence[Row]:
    """Give up to `seats` free seats to the oldest waitlisted registrations; returns them."""
    if seats <= 0:
        return []
    oldest = _statements.get(
        "SELECT id FROM registrations"
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
