"""All SQL about registrations (the seat counters on their session are `seats`'s)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from loop_live.platform.db import Connection, Row, Sql, returning
from loop_live.platform.db.sql import SqlCache

_statements = SqlCache()


async def promote_waitlist(
    conn: Connection, session_id: uuid.UUID, seats: int, now: datetime
) -> Sequence[Row]:
    """Mark up to `seats` of the oldest waitlisted registrations registered; returns them."""
    if seats <= 0:
        return []
    oldest = _statements.get(
        "SELECT id FROM registrations"
        " WHERE session_id = :session_id AND status = 'waitlist'"
        " ORDER BY registered_at, id LIMIT :seats" + conn.row_lock
    )
    rows = await conn.fetch(oldest, {"session_id": session_id, "seats": seats})
    return [await returning(conn, _PROMOTE, {"id": row["id"], "now": now}) for row in rows]


COLUMNS = (
    "id",
    "session_id",
    "user_id",
    "guest_email",
    "role",
    "status",
    "registered_at",
    "cancelled_at",
    "promoted_at",
)
_COLUMNS = ", ".join(COLUMNS)
_BY_USER = Sql(
    f"SELECT {_COLUMNS} FROM registrations WHERE session_id = :session_id"
    " AND user_id = :user_id AND status <> 'cancelled'"
)
_BY_GUEST = Sql(
    f"SELECT {_COLUMNS} FROM registrations WHERE session_id = :session_id"
    " AND guest_email_key = :email_key AND status <> 'cancelled'"
)
_INSERT = Sql(
    "INSERT INTO registrations (id, brand_id, session_id, user_id, guest_email, guest_email_key,"
    " role, status, registered_at, updated_at) VALUES (:id, :brand_id, :session_id, :user_id,"
    f" :guest_email, :guest_email_key, :role, :status, :now, :now) RETURNING {_COLUMNS}"
)
_CANCEL = Sql(
    "UPDATE registrations SET status = 'cancelled', cancelled_at = :now, updated_at = :now"
    f" WHERE id = :id RETURNING {_COLUMNS}"
)
_PROMOTE = Sql(
    "UPDATE registrations SET status = 'registered', promoted_at = :now, updated_at = :now"
    f" WHERE id = :id RETURNING {_COLUMNS}"
)


async def active_for_user(conn: Connection, session_id: uuid.UUID, user_id: str) -> Row | None:
    return await conn.fetchrow(_BY_USER, {"session_id": session_id, "user_id": user_id})


async def active_for_guest(conn: Connection, session_id: uuid.UUID, email_key: str) -> Row | None:
    return await conn.fetchrow(_BY_GUEST, {"session_id": session_id, "email_key": email_key})


async def insert(
    conn: Connection,
    *,
    brand: str,
    session_id: uuid.UUID,
    user_id: str | None,
    guest_email: str | None,
    role: str,
    status: str,
    now: datetime,
) -> Row:
    return await returning(
        conn,
        _INSERT,
        {
            "id": uuid.uuid4(),
            "brand_id": brand,
            "session_id": session_id,
            "user_id": user_id,
            "guest_email": guest_email,
            "guest_email_key": guest_email.lower() if guest_email else None,
            "role": role,
            "status": status,
            "now": now,
        },
    )


async def cancel(conn: Connection, row: Row, now: datetime) -> Row:
    return await returning(conn, _CANCEL, {"id": row["id"], "now": now})


def registration_json(row: Row) -> dict[str, Any]:
    """A row as the API's registration object: `user_id` and `patient_id` name one person."""
    return {
        "id": str(row["id"]),
        "session_id": str(row["session_id"]),
        "user_id": row["user_id"] or "",
        "patient_id": row["user_id"],
        "guest_email": row["guest_email"],
        "role": row["role"],
        "status": row["status"],
        "registered_at": row["registered_at"],
        "cancelled_at": row["cancelled_at"],
        "promoted_at": row["promoted_at"],
    }


async def page(
    conn: Connection,
    session_id: uuid.UUID,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Row]:
    where = ["session_id = :session_id"]
    params: dict[str, object] = {"session_id": session_id, "limit": limit}
    if status is not None:
        where.append("status = :status")
        params["status"] = status
    if after is not None:
        where.append("(registered_at, id) > (:after_at, :after_id)")
        params["after_at"], params["after_id"] = after
    sql = _statements.get(
        f"SELECT {_COLUMNS} FROM registrations WHERE {' AND '.join(where)}"
        " ORDER BY registered_at, id LIMIT :limit"
    )
    return await conn.fetch(sql, params)


async def count(conn: Connection, session_id: uuid.UUID, status: str | None) -> int:
    where = "session_id = :session_id" + (" AND status = :status" if status else "")
    params: dict[str, object] = {"session_id": session_id}
    if status:
        params["status"] = status
    sql = _statements.get(f"SELECT count(*) FROM registrations WHERE {where}")
    return int(await conn.fetchval(sql, params))
