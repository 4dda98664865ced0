"""Audit rows and outbox events, written inside the caller's transaction (SPEC §8)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from loop_live.platform import event_ids
from loop_live.platform.auth import Principal
from loop_live.platform.db import Connection, Sql
from loop_live.realtime import notices


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes what, where and when: passed to every service call that writes."""

    principal: Principal
    brand: str
    request_id: str
    now: datetime

    @property
    def subject(self) -> str:
        return self.principal.subject


_AUDIT = Sql(
    "INSERT INTO audit_log (id, brand_id, actor, action, entity_type, entity_id, request_id,"
    " details, created_at) VALUES (:id, :brand_id, :actor, :action, :entity_type, :entity_id,"
    " :request_id, :details, :created_at)"
)
_EVENT = Sql(
    "INSERT INTO outbox_events (id, brand_id, event_type, aggregate_id, payload, created_at)"
    " VALUES (:id, :brand_id, :event_type, :aggregate_id, :payload, :created_at)"
)


async def record(
    conn: Connection,
    actor: Actor,
    *,
    action: str,
    entity: tuple[str, str],
    details: dict[str, Any],
    event: str | None = None,
    payload: Any = None,
) -> None:
    """Audit `action` on `entity` (type, id); emit `event` with `payload` when given.

    `details` must already be free of personal data: it is kept for years and read by staff.
    """
    await conn.execute(
        _AUDIT,
        {
            "id": uuid.uuid4(),
            "brand_id": actor.brand,
            "actor": actor.subject,
            "action": action,
            "entity_type": entity[0],
            "entity_id": entity[1],
            "request_id": actor.request_id,
            "details": msgspec.json.encode(details).decode(),
            "created_at": actor.now,
        },
    )
    if event is not None:
        await emit(conn, actor.brand, event, entity[1], payload, actor.now)


async def emit(
    conn: Connection, brand: str, event: str, aggregate_id: str, payload: Any, now: datetime
) -> None:
    event_id = event_ids.next()
    envelope = {
        "id": str(event_id),
        "type": event,
        "brand_id": brand,
        "occurred_at": now,
        "data": payload,
    }
    await conn.execute(
        _EVENT,
        {
            "id": event_id,
            "brand_id": brand,
            "event_type": event,
            "aggregate_id": aggregate_id,
            "payload": msgspec.json.encode(envelope).decode(),
            "created_at": now,
        },
    )
    await notices.announce(conn, str(event_id), brand, event, aggregate_id, payload)
