"""All SQL about reminders: who is due one, and the claim that makes each one go out once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from loop_live.platform.db import Connection, Row, Sql

_DUE = Sql(
    "SELECT r.id, r.brand_id, r.session_id, r.user_id, r.registered_at, r.promoted_at,"
    " s.scheduled_at FROM sessions s JOIN registrations r ON r.session_id = s.id"
    " WHERE s.status = 'scheduled' AND s.scheduled_at > :now AND s.scheduled_at <= :due_by"
    " AND r.status = 'registered' AND NOT EXISTS (SELECT 1 FROM reminders_sent m"
    " WHERE m.registration_id = r.id AND m.offset_minutes = :offset)"
    " ORDER BY s.scheduled_at, r.id LIMIT :limit"
)
_CLAIM = Sql(
    "INSERT INTO reminders_sent (registration_id, offset_minutes, scheduled_at, sent_at)"
    " VALUES (:registration_id, :offset, :scheduled_at, :now)"
    " ON CONFLICT (registration_id, offset_minutes) DO NOTHING"
)


async def due(
    conn: Connection, after: datetime, due_by: datetime, offset: int, limit: int
) -> Sequence[Row]:
    """Active registrations of sessions starting in (after, due_by] not yet reminded at `offset`."""
    params = {"now": after, "due_by": due_by, "offset": offset, "limit": limit}
    return await conn.fetch(_DUE, params)


async def claim(
    conn: Connection, registration_id: uuid.UUID, offset: int, scheduled_at: datetime, now: datetime
) -> bool:
    """True for the one transaction that records this reminder; a concurrent worker's insert
    waits on the unique key and then inserts nothing."""
    params = {
        "registration_id": registration_id,
        "offset": offset,
        "scheduled_at": scheduled_at,
        "now": now,
    }
    return await conn.execute(_CLAIM, params) == 1
