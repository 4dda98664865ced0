"""All SQL of the outbox dispatcher.

A claim takes, per aggregate, only its earliest undelivered event (its "head"), locked with
`FOR UPDATE SKIP LOCKED` on PostgreSQL: a second worker skips an aggregate whose head another
holds, and cannot take its later events either, since they are not heads. The holder then
reads the rest of those aggregates' queues in order.
SQLite has one writer at a time, so the same statements need no lock there.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from loop_live.platform.db import Connection, Row, Sql
from loop_live.platform.outbox import OutboxEvent

_COLUMNS = "o.id, o.brand_id, o.event_type, o.aggregate_id, o.payload, o.created_at"
# PostgreSQL: each aggregate's earliest undelivered event, then those rows locked. A head
# another worker holds is skipped; one it published meanwhile fails the recheck of
# `published_at IS NULL` under the lock and drops out.
_HEADS_SQL = {
    "postgresql": Sql(
        "SELECT o.aggregate_id FROM outbox_events o WHERE o.published_at IS NULL AND o.id IN"
        " (SELECT DISTINCT ON (aggregate_id) id FROM outbox_events WHERE published_at IS NULL"
        " ORDER BY aggregate_id, created_at, id)"
        " ORDER BY o.created_at, o.id LIMIT :batch FOR UPDATE OF o SKIP LOCKED"
    ),
    "sqlite": Sql(
        "SELECT aggregate_id FROM outbox_events WHERE published_at IS NULL"
        " GROUP BY aggregate_id ORDER BY MIN(created_at) LIMIT :batch"
    ),
}
_QUEUE = Sql(
    f"SELECT {_COLUMNS} FROM outbox_events o WHERE o.published_at IS NULL"
    " AND o.aggregate_id IN (SELECT value FROM json_each(:aggregates))"
    " ORDER BY o.created_at, o.id LIMIT :batch"
)
_QUEUE_PG = Sql(
    f"SELECT {_COLUMNS} FROM outbox_events o WHERE o.published_at IS NULL"
    " AND o.aggregate_id = ANY(:aggregates::text[])"
    " ORDER BY o.created_at, o.id LIMIT :batch"
)
_PUBLISHED = {
    "postgresql": Sql(
        "UPDATE outbox_events SET published_at = :now, attempts = attempts + 1"
        " WHERE id = ANY(:ids::uuid[])"
    ),
    "sqlite": Sql(
        "UPDATE outbox_events SET published_at = :now, attempts = attempts + 1"
        " WHERE id IN (SELECT value FROM json_each(:ids))"
    ),
}
_FAILED = Sql("UPDATE outbox_events SET attempts = attempts + 1 WHERE id = :id")
_BACKLOG = Sql(
    "SELECT COUNT(*) AS backlog, MIN(created_at) AS oldest FROM outbox_events"
    " WHERE published_at IS NULL"
)
_RECENT = Sql(
    f"SELECT {_COLUMNS} FROM outbox_events o WHERE o.created_at > :after"
    " ORDER BY o.created_at, o.id LIMIT :batch"
)


async def claim(conn: Connection, batch: int) -> list[OutboxEvent]:
    """Up to `batch` undelivered events, oldest first, of aggregates nobody else is draining."""
    heads = await conn.fetch(_HEADS_SQL[conn.dialect], {"batch": batch})
    if not heads:
        return []
    aggregates = sorted({str(row["aggregate_id"]) for row in heads})
    if conn.dialect == "postgresql":
        rows = await conn.fetch(_QUEUE_PG, {"aggregates": aggregates, "batch": batch})
    else:
        rows = await conn.fetch(_QUEUE, {"aggregates": _json(aggregates), "batch": batch})
    return [event(row) for row in rows]


async def mark_published(conn: Connection, ids: Sequence[uuid.UUID], now: datetime) -> None:
    if conn.dialect == "postgresql":
        await conn.execute(_PUBLISHED["postgresql"], {"ids": list(ids), "now": now})
    else:
        await conn.execute(_PUBLISHED["sqlite"], {"ids": _json([str(i) for i in ids]), "now": now})


async def mark_failed(conn: Connection, event_id: uuid.UUID) -> None:
    await conn.execute(_FAILED, {"id": event_id})


async def backlog(conn: Connection) -> tuple[int, datetime | None]:
    """How many events wait, and when the oldest of them was written."""
    row = await conn.fetchrow(_BACKLOG)
    assert row is not None
    oldest = row["oldest"]
    if isinstance(oldest, str):  # SQLite returns an aggregate of a DATETIME column as text
        oldest = datetime.fromisoformat(oldest)
    return int(row["backlog"]), oldest


async def written_after(conn: Connection, after: datetime, batch: int) -> list[OutboxEvent]:
    """Events written after `after`, delivered or not (`events tail` without NATS)."""
    return [event(row) for row in await conn.fetch(_RECENT, {"after": after, "batch": batch})]


def event(row: Row) -> OutboxEvent:
    payload: Any = row["payload"]
    return OutboxEvent(
        id=row["id"] if isinstance(row["id"], uuid.UUID) else uuid.UUID(str(row["id"])),
        brand_id=str(row["brand_id"]),
        event_type=str(row["event_type"]),
        aggregate_id=str(row["aggregate_id"]),
        payload=payload if isinstance(payload, bytes) else str(payload).encode(),
        created_at=row["created_at"],
    )


def _json(values: Sequence[str]) -> str:
    return msgspec.json.encode(list(values)).decode()
