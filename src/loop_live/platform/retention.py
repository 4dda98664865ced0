"""Retention (SPEC §11): idempotency keys after 24 hours, delivered outbox rows and webhook-inbox
rows after settable periods. Run by the worker; safe when several workers prune at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from loop_live.platform import retention_repository as repo
from loop_live.platform.db import Database
from loop_live.platform.settings import Settings

BATCH = 1000
# Bounds one pass (and so how long a stopping worker waits for it); the rest waits for the next.
MAX_BATCHES = 100


def cutoffs(now: datetime, settings: Settings) -> dict[str, datetime]:
    """Per table, the instant before which a row may go (idempotency keys carry their expiry)."""
    return {
        "idempotency_keys": now,
        "outbox_events": now - timedelta(days=settings.retention_outbox_days),
        "webhook_inbox": now - timedelta(days=settings.retention_inbox_days),
    }


async def prune(
    db: Database, now: datetime, settings: Settings, *, batch: int = BATCH
) -> dict[str, int]:
    """Delete what has expired at `now`, one short transaction per batch; rows deleted per table."""
    return {
        table: await _drain(db, table, cutoff, batch)
        for table, cutoff in cutoffs(now, settings).items()
    }


async def _drain(db: Database, table: str, cutoff: datetime, batch: int) -> int:
    total = 0
    for _ in range(MAX_BATCHES):
        async with db.write() as conn:
            deleted = await repo.delete_batch(conn, table, cutoff, batch)
        total += deleted
        if deleted < batch:
            break
    return total
