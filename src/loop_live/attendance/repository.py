"""Attendance SQL: the event rows (one per kind and provider connection) and the count."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from loop_live.platform.db import Connection, Row, Sql

_INSERT = Sql(
    "INSERT INTO attendance_events (id, brand_id, session_id, user_id, kind, connection_id, at,"
    " created_at) VALUES (:id, :brand, :session_id, :user_id, :kind, :connection_id, :at, :now)"
    " ON CONFLICT (session_id, kind, connection_id) DO NOTHING"
)
_EVENTS = Sql(
    "SELECT user_id, kind, connection_id, at FROM attendance_events"
    " WHERE session_id = :session_id ORDER BY at, kind"
)
_REGISTRATIONS = Sql(
    "SELECT id, user_id, role, status, registered_at FROM registrations"
    " WHERE session_id = :session_id ORDER BY registered_at, id"
)
_COUNT = Sql(
    "UPDATE sessions SET attended_count = (SELECT COUNT(*) FROM registrations r"
    " WHERE r.session_id = :session_id AND r.status = 'registered' AND r.user_id IN"
    " (SELECT a.user_id FROM attendance_events a WHERE a.session_id = :session_id"
    " AND a.kind IN ('joined', 'token'))) WHERE id = :session_id"
)


async def add(
    conn: Connection,
    brand: str,
    session_id: uuid.UUID,
    user_id: str,
    kind: str,
    connection_id: str,
    at: datetime,
    now: datetime,
) -> bool:
    """False when this event was already recorded (a repeat under a new delivery id)."""
    params = {
        "id": uuid.uuid4(),
        "brand": brand,
        "session_id": session_id,
        "user_id": user_id,
        "kind": kind,
        "connection_id": connection_id,
        "at": at,
        "now": now,
    }
    return await conn.execute(_INSERT, params) > 0


async def events(conn: Connection, session_id: uuid.UUID) -> Sequence[Row]:
    return await conn.fetch(_EVENTS, {"session_id": session_id})


async def registrations(conn: Connection, session_id: uuid.UUID) -> Sequence[Row]:
    return await conn.fetch(_REGISTRATIONS, {"session_id": session_id})


async def recount(conn: Connection, session_id: uuid.UUID) -> None:
    await conn.execute(_COUNT, {"session_id": session_id})
