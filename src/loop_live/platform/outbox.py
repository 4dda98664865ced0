"""One outbox row as the dispatcher hands it to sinks (NATS, outbound webhooks)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """`payload` is the JSON envelope exactly as `journal.emit` stored it."""

    id: uuid.UUID
    brand_id: str
    event_type: str
    aggregate_id: str
    payload: bytes
    created_at: datetime
