"""All SQL about calls."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from loop_live.platform.db import Connection, Row, Sql, returning

COLUMNS = (
    "id",
    "host_user_id",
    "participant_ids",
    "title",
    "scheduled_at",
    "started_at",
    "ended_at",
    "stream_call_id",
    "stream_call_type",
    "recording_url",
    "recording_ready_at",
    "status",
    "metadata",
    "created_at",
    "updated_at",
)
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM calls"
_GET = Sql(_SELECT + " WHERE id = :id AND brand_id = :brand")
_INSERT = Sql(
    f"INSERT INTO calls ({', '.join((*COLUMNS, 'brand_id'))})"
    f" VALUES ({', '.join(':' + c for c in (*COLUMNS, 'brand_id'))}) RETURNING {', '.join(COLUMNS)}"
)
_END = Sql(
    "UPDATE calls SET status = 'ended', ended_at = :now, updated_at = :now"
    f" WHERE id = :id AND status <> 'ended' RETURNING {', '.join(COLUMNS)}"
)


def call_json(row: Row) -> dict[str, Any]:
    out = dict(zip(COLUMNS, row, strict=True))
    out["id"] = str(out["id"])
    out["metadata"] = msgspec.Raw(out["metadata"])
    out["participant_ids"] = msgspec.Raw(out["participant_ids"])
    return out


def participants(row: Row) -> list[str]:
    ids: list[str] = msgspec.json.decode(row["participant_ids"], type=list[str])
    return ids


async def get(conn: Connection, brand: str, call_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow(_GET, {"id": call_id, "brand": brand})


async def insert(conn: Connection, values: Mapping[str, Any]) -> Row:
    encoded = {k: msgspec.json.encode(values[k]).decode() for k in ("metadata", "participant_ids")}
    return await returning(conn, _INSERT, {**values, **encoded})


async def end(conn: Connection, call_id: uuid.UUID, now: datetime) -> Row | None:
    """The ended call, or None when it had already ended."""
    return await conn.fetchrow(_END, {"id": call_id, "now": now})
