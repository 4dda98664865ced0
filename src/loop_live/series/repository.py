"""All SQL about series and their occurrences."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec

from loop_live.platform.db import Connection, Row, Sql
from loop_live.sessions.repository import COLUMNS, JSON_FIELDS

SERIES_COLUMNS = (
    "id",
    "brand_id",
    "host_id",
    "rrule",
    "timezone",
    "starts_at",
    "ends_before",
    "template",
    "status",
    "materialised_until",
    "created_at",
    "updated_at",
)
_SELECT = "SELECT " + ", ".join(SERIES_COLUMNS) + " FROM series"
_INSERT = Sql(
    f"INSERT INTO series ({', '.join(SERIES_COLUMNS)}) VALUES "
    f"({', '.join(':' + c for c in SERIES_COLUMNS)})"
)
_OCCURRENCE_COLUMNS = (*COLUMNS, "ends_at", "series_slot")
_INSERT_OCCURRENCE = Sql(
    f"INSERT INTO sessions ({', '.join(_OCCURRENCE_COLUMNS)}) VALUES "
    f"({', '.join(':' + c for c in _OCCURRENCE_COLUMNS)})"
    " ON CONFLICT (series_id, series_slot) DO NOTHING"
)
_OCCURRENCES = Sql(
    "SELECT id, series_slot, scheduled_at, series_detached, status FROM sessions"
    " WHERE series_id = :series_id AND scheduled_at > :now"
    " AND status IN ('scheduled', 'cancelled')"
    " ORDER BY scheduled_at"
)
_SLOT = Sql("SELECT series_slot FROM sessions WHERE id = :id AND series_id = :series_id")
_MOVE = Sql(
    "UPDATE sessions SET series_id = :to_series WHERE series_id = :from_series"
    " AND series_slot >= :slot"
)
_ACTIVE_REGISTRATIONS = Sql(
    "SELECT id, session_id, status FROM registrations WHERE session_id = :session_id"
    " AND status <> 'cancelled' ORDER BY registered_at, id"
)
_DUE = Sql(
    "SELECT id FROM series WHERE status = 'active' AND materialised_until < :until"
    " ORDER BY materialised_until LIMIT :limit"
)


def series_json(row: Row) -> dict[str, Any]:
    out = dict(zip(SERIES_COLUMNS, row, strict=True))
    out["id"] = str(out["id"])
    out["scheduled_at"] = out.pop("starts_at")
    out["template"] = msgspec.Raw(out["template"])
    return out


async def insert(conn: Connection, values: Mapping[str, Any]) -> None:
    await conn.execute(_INSERT, {**values, "template": _json(values["template"])})


async def get(
    conn: Connection, brand: str, series_id: uuid.UUID, *, lock: bool = False
) -> Row | None:
    sql = Sql(_SELECT + " WHERE id = :id AND brand_id = :brand" + (conn.row_lock if lock else ""))
    return await conn.fetchrow(sql, {"id": series_id, "brand": brand})


async def by_id_for_update(conn: Connection, series_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow(Sql(_SELECT + " WHERE id = :id" + conn.row_lock), {"id": series_id})


async def page(conn: Connection, brand: str, limit: int) -> Sequence[Row]:
    sql = Sql(_SELECT + " WHERE brand_id = :brand ORDER BY created_at, id LIMIT :limit")
    return await conn.fetch(sql, {"brand": brand, "limit": limit})


async def update(
    conn: Connection, series_id: uuid.UUID, changes: Mapping[str, Any], now: datetime
) -> None:
    values = {k: (_json(v) if k == "template" else v) for k, v in changes.items()}
    sets = ", ".join(f"{k} = :{k}" for k in sorted(values))
    sql = Sql(f"UPDATE series SET {sets}, updated_at = :updated_at WHERE id = :id")
    await conn.execute(sql, {**values, "updated_at": now, "id": series_id})


async def insert_occurrence(conn: Connection, values: Mapping[str, Any]) -> bool:
    encoded = {k: (_json(v) if k in JSON_FIELDS else v) for k, v in values.items()}
    return await conn.execute(_INSERT_OCCURRENCE, encoded) == 1


async def future_occurrences(
    conn: Connection, series_id: uuid.UUID, now: datetime
) -> Sequence[Row]:
    return await conn.fetch(_OCCURRENCES, {"series_id": series_id, "now": now})


async def slot_of(conn: Connection, series_id: uuid.UUID, session_id: uuid.UUID) -> datetime | None:
    row = await conn.fetchrow(_SLOT, {"id": session_id, "series_id": series_id})
    return None if row is None else row["series_slot"]


async def move_following(
    conn: Connection, from_series: uuid.UUID, to_series: uuid.UUID, slot: datetime
) -> None:
    await conn.execute(_MOVE, {"from_series": from_series, "to_series": to_series, "slot": slot})


async def reschedule(
    conn: Connection, session_id: uuid.UUID, changes: Mapping[str, Any], now: datetime
) -> None:
    """A series edit of one of its occurrences: unlike a direct edit, it does not detach it."""
    values = {k: (_json(v) if k in JSON_FIELDS else v) for k, v in changes.items()}
    sets = ", ".join(f"{k} = :{k}" for k in sorted(values))
    bump = ", sequence = sequence + 1" if "scheduled_at" in values or "ends_at" in values else ""
    sql = Sql(f"UPDATE sessions SET {sets}, updated_at = :updated_at{bump} WHERE id = :id")
    await conn.execute(sql, {**values, "updated_at": now, "id": session_id})


async def active_registrations(conn: Connection, session_id: uuid.UUID) -> Sequence[Row]:
    return await conn.fetch(_ACTIVE_REGISTRATIONS, {"session_id": session_id})


async def due(conn: Connection, until: datetime, limit: int) -> list[uuid.UUID]:
    rows = await conn.fetch(_DUE, {"until": until, "limit": limit})
    return [uuid.UUID(str(row["id"])) for row in rows]


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()
