"""All SQL about registrations (their seat counters live in `seats`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from loop_live.platform.db import Connection, Row, Sql
from loop_live.platform.db.sql import SqlCache

_statements = SqlCache()


def registration_json(row: Row) -> dict[str, Any]:
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


_COLUMNS = (
    "id, session_id, user_id, guest_email, role, status, registered_at, cancelled_at, promoted_at"
)
_BY_USER = Sql(
    f"SELECT {_COLUMNS} FROM registrations WHERE session_id = :session_id"
    " AND user_id = :user_id AND status <> 'cancelled'"
)
_BY_GUEST = Sql(
    f"SELECT {_COLUMNS} FROM registrations WHERE session_id = :session_id"
    " AND guest_email_key = :email_key AND status <> 'cancelled'"
)
_BY_ID = Sql(f"SELECT {_COLUMNS} FROM registrations WHERE id = :id")
_INSERT = Sql(
    "INSERT INTO registrations (id, brand_id, session_id, user_id, guest_email, guest_email_key,"
    " role, status, registered_at, updated_at) VALUES (:id, :brand_id, :session_id, :user_id,"
    " :guest_email, :guest_email_key, :role, :status, :now, :now)"
)
_CANCEL = Sql(
    "UPDATE registrations SET status = 'cancelled', cancelled_at = :now, updated_at = :now"
    " WHERE id = :id"
)


async def active_for_user(conn: Connection, session_id: uuid.UUID, user_id: str) -> Row | None:
    return await conn.fetchrow(_BY_USER, {"session_id": session_id, "user_id": user_id})


async def active_for_guest(conn: Connection, session_id: uuid.UUID, email_key: str) -> Row | None:
    return await conn.fetchrow(_BY_GUEST, {"session_id": session_id, "email_key": email_key})


async def by_id(conn: Connection, registration_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow(_BY_ID, {"id": registration_id})


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
) -> uuid.UUID:
    registration_id = uuid.uuid4()
    await conn.execute(
        _INSERT,
        {
            "id": registration_id,
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
    return registration_id


async def cancel(conn: Connection, row: Row, now: datetime) -> None:
    await conn.execute(_CANCEL, {"id": row["id"], "now": now})


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
