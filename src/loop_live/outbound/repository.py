"""All SQL about webhook subscriptions and their deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec

from loop_live.platform.db import Connection, Row, Sql

COLUMNS = (
    "id",
    "brand_id",
    "url",
    "event_types",
    "description",
    "enabled",
    "failing_since",
    "created_at",
    "updated_at",
)
SECRET_COLUMNS = ("secret", "previous_secret", "previous_expires_at")
DELIVERY_COLUMNS = (
    "id",
    "event_id",
    "event_type",
    "status",
    "attempts",
    "last_status_code",
    "last_error",
    "next_attempt_at",
    "delivered_at",
    "created_at",
    "updated_at",
)
_ALL = (*COLUMNS, *SECRET_COLUMNS)
_SELECT = f"SELECT {', '.join(_ALL)} FROM webhook_subscriptions"
_GET = Sql(_SELECT + " WHERE id = :id AND brand_id = :brand")
_LIST = Sql(_SELECT + " WHERE brand_id = :brand ORDER BY created_at, id")
_INSERT = Sql(
    f"INSERT INTO webhook_subscriptions ({', '.join((*_ALL, 'paused_until'))})"
    f" VALUES ({', '.join(':' + c for c in _ALL)}, NULL)"
)
_UPDATE = Sql(
    "UPDATE webhook_subscriptions SET url = :url, event_types = :event_types,"
    " description = :description, enabled = :enabled, failing_since = :failing_since,"
    " paused_until = NULL, updated_at = :updated_at WHERE id = :id"
)
_ROTATE = Sql(
    "UPDATE webhook_subscriptions SET secret = :secret, previous_secret = :previous_secret,"
    " previous_expires_at = :previous_expires_at, updated_at = :now WHERE id = :id"
)
_DELETE_DELIVERIES = Sql("DELETE FROM webhook_deliveries WHERE subscription_id = :id")
_DELETE = Sql("DELETE FROM webhook_subscriptions WHERE id = :id")
_ENABLED = Sql(
    "SELECT id, event_types FROM webhook_subscriptions WHERE brand_id = :brand AND enabled"
)
_ADD_DELIVERY = Sql(
    "INSERT INTO webhook_deliveries (id, subscription_id, brand_id, event_id, event_type, body,"
    " status, attempts, next_attempt_at, created_at, updated_at) VALUES (:id, :subscription_id,"
    " :brand_id, :event_id, :event_type, :body, 'pending', 0, :now, :now, :now)"
    " ON CONFLICT (subscription_id, event_id) DO NOTHING"
)
_DELIVERY_SELECT = f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM webhook_deliveries"
_DELIVERIES = Sql(
    _DELIVERY_SELECT + " WHERE subscription_id = :sub ORDER BY created_at DESC, id DESC"
    " LIMIT :limit"
)
_DELIVERIES_AFTER = Sql(
    _DELIVERY_SELECT + " WHERE subscription_id = :sub AND (created_at < :at OR"
    " (created_at = :at AND id < :after)) ORDER BY created_at DESC, id DESC LIMIT :limit"
)
_REDELIVER = Sql(
    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = :now, updated_at = :now"
    f" WHERE id = :id AND subscription_id = :sub RETURNING {', '.join(DELIVERY_COLUMNS)}"
)


def webhook_json(row: Row) -> dict[str, Any]:
    out = {c: row[c] for c in COLUMNS}
    out["id"] = str(out["id"])
    out["enabled"] = bool(out["enabled"])
    out["event_types"] = msgspec.Raw(out["event_types"])
    return out


def delivery_json(row: Row) -> dict[str, Any]:
    out = {c: row[c] for c in DELIVERY_COLUMNS}
    out["id"], out["event_id"] = str(out["id"]), str(out["event_id"])
    return out


def event_types(row: Row) -> list[str]:
    types: list[str] = msgspec.json.decode(row["event_types"], type=list[str])
    return types


async def get(conn: Connection, brand: str, webhook_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow(_GET, {"id": webhook_id, "brand": brand})


async def list_all(conn: Connection, brand: str) -> Sequence[Row]:
    return await conn.fetch(_LIST, {"brand": brand})


async def insert(conn: Connection, values: Mapping[str, Any]) -> None:
    await conn.execute(_INSERT, {**values, "event_types": _types(values["event_types"])})


async def update(conn: Connection, values: Mapping[str, Any]) -> None:
    await conn.execute(_UPDATE, {**values, "event_types": _types(values["event_types"])})


async def rotate(conn: Connection, webhook_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    await conn.execute(_ROTATE, {**values, "id": webhook_id})


async def delete(conn: Connection, webhook_id: uuid.UUID) -> None:
    await conn.execute(_DELETE_DELIVERIES, {"id": webhook_id})
    await conn.execute(_DELETE, {"id": webhook_id})


async def enabled_for(conn: Connection, brand: str) -> Sequence[Row]:
    return await conn.fetch(_ENABLED, {"brand": brand})


async def add_delivery(conn: Connection, values: Mapping[str, Any]) -> int:
    return await conn.execute(_ADD_DELIVERY, {**values, "id": uuid.uuid4()})


async def deliveries(
    conn: Connection, sub: uuid.UUID, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> Sequence[Row]:
    if after is None:
        return await conn.fetch(_DELIVERIES, {"sub": sub, "limit": limit})
    params = {"sub": sub, "limit": limit, "at": after[0], "after": after[1]}
    return await conn.fetch(_DELIVERIES_AFTER, params)


async def redeliver(
    conn: Connection, sub: uuid.UUID, delivery_id: uuid.UUID, now: datetime
) -> Row | None:
    return await conn.fetchrow(_REDELIVER, {"id": delivery_id, "sub": sub, "now": now})


def _types(types: Sequence[str]) -> str:
    return msgspec.json.encode(list(types)).decode()


_FAILING = Sql(
    "SELECT id, brand_id, enabled, failing_since FROM webhook_subscriptions"
    " WHERE failing_since IS NOT NULL OR NOT enabled ORDER BY brand_id, id LIMIT 100"
)


async def failing(conn: Connection) -> Sequence[Row]:
    """Subscriptions failing now or disabled (by an admin or for failing), at most 100."""
    return await conn.fetch(_FAILING)
