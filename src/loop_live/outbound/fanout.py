"""Outbox events → one pending delivery per matching enabled subscription of the event's brand.

Called by the dispatcher inside the transaction that marks a batch published, so a delivery
row exists exactly when its event counts as published.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from loop_live.outbound import repository as repo
from loop_live.platform.db import Connection, Row
from loop_live.platform.outbox import OutboxEvent


class _Envelope(msgspec.Struct):
    occurred_at: str | None = None
    data: msgspec.Raw = msgspec.Raw(b"null")


def body(event: OutboxEvent) -> bytes:
    """SPEC §12's body `{id, type, brand_id, occurred_at, data}`, from the row's own fields
    and the stored envelope's `occurred_at` and `data` (whatever else the envelope holds)."""
    envelope = msgspec.json.decode(event.payload, type=_Envelope)
    occurred = envelope.occurred_at or event.created_at.isoformat()
    return msgspec.json.encode(
        {
            "id": str(event.id),
            "type": event.event_type,
            "brand_id": event.brand_id,
            "occurred_at": occurred,
            "data": envelope.data,
        }
    )


def matches(subscription: Row, event_type: str) -> bool:
    types = repo.event_types(subscription)
    return not types or event_type in types


async def fan_out(conn: Connection, events: Sequence[OutboxEvent], now: datetime) -> int:
    """Insert the deliveries of `events`; returns how many were added."""
    by_brand: dict[str, Sequence[Row]] = {}
    added = 0
    for event in events:
        if event.brand_id not in by_brand:
            by_brand[event.brand_id] = await repo.enabled_for(conn, event.brand_id)
        targets = [s for s in by_brand[event.brand_id] if matches(s, event.event_type)]
        if targets:
            added += await _add(conn, event, targets, now)
    return added


async def _add(conn: Connection, event: OutboxEvent, targets: list[Row], now: datetime) -> int:
    values: dict[str, Any] = {
        "brand_id": event.brand_id,
        "event_id": event.id,
        "event_type": event.event_type,
        "body": body(event).decode(),
        "now": now,
    }
    added = 0
    for subscription in targets:
        added += await repo.add_delivery(conn, {**values, "subscription_id": subscription["id"]})
    return added
