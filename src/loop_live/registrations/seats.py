"""Seats: the counters a session row keeps of its registrations, and the waitlist promotion
that fills free seats. Callers hold the session's row lock (see `service`)."""

from __future__ import annotations

import uuid

from loop_live.platform import journal
from loop_live.platform.db import Connection, Sql
from loop_live.platform.journal import Actor
from loop_live.registrations import repository as repo
from loop_live.registrations import vocabulary as words

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
    promoted = await repo.promote_waitlist(conn, session_id, seats, actor.now)
    if promoted:
        await conn.execute(_MOVE_COUNTS, {"session_id": session_id, "seats": len(promoted)})
    for row in promoted:
        await journal.record(
            conn,
            actor,
            action="registration.promote",
            entity=("registration", str(row["id"])),
            details={"session_id": str(session_id)},
            event=words.PROMOTED,
            payload=repo.registration_json(row),
        )
    return len(promoted)
