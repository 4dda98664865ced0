"""An outbox row as the dispatcher hands it to NATS and to the fan-outs (SPEC §8, §12)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    id: uuid.UUID
    brand_id: str
    event_type: str
    aggregate_id: str
    payload: bytes  # the JSON envelope {id, type, brand_id, occurred_at, data}
    created_at: datetime
