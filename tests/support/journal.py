"""What the journal holds after a change: audit rows and outbox events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from loop_live.platform.db import Database, Sql


@dataclass(frozen=True)
class Journal:
    """Audit rows as (action, entity_id, details) and outbox events as (type, aggregate_id)."""

    audit: list[tuple[str, str, dict[str, Any]]]
    events: list[tuple[str, str]]

    def since(self, before: Journal) -> Journal:
        return Journal(self.audit[len(before.audit) :], self.events[len(before.events) :])


async def journal(db: Database) -> Journal:
    async with db.read() as conn:
        audit = await conn.fetch(
            Sql("SELECT action, entity_id, details FROM audit_log ORDER BY created_at, action")
        )
        events = await conn.fetch(
            Sql("SELECT event_type, aggregate_id FROM outbox_events ORDER BY created_at, id")
        )
    return Journal(
        [(row["action"], row["entity_id"], json.loads(row["details"])) for row in audit],
        [(row["event_type"], row["aggregate_id"]) for row in events],
    )


async def outbox_types(db: Database, aggregate_id: str) -> list[str]:
    async with db.read() as conn:
        rows = await conn.fetch(
            Sql("SELECT event_type FROM outbox_events WHERE aggregate_id = :id"
                " ORDER BY created_at, id"),  # the order the dispatcher delivers
            {"id": aggregate_id},
        )  # fmt: skip
    return [row["event_type"] for row in rows]
