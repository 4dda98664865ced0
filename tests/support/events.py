"""Outbox rows written the way `journal.emit` writes them, a recording sink, NATS helpers."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import nats
from nats.aio.client import Client

from loop_live.platform import journal
from loop_live.platform.db import Database, Sql
from loop_live.platform.outbox import OutboxEvent
from tests.support.databases import unreachable

NATS_URL = os.environ.get("LIVE_TEST_NATS_URL", "nats://127.0.0.1:4222")
NATS_HINT = (
    "NATS is not reachable at {url}: start nats-server -js (or set LIVE_TEST_NATS_URL);"
    " CI sets CI=true and fails instead of skipping"
)
T0 = datetime(2030, 1, 1, tzinfo=UTC)


async def emit(
    db: Database, aggregates: Sequence[str], per_aggregate: int, start: datetime = T0
) -> list[str]:
    """Events for each aggregate in turn, each a microsecond after the last; their ids in order."""
    async with db.write() as conn:
        for n in range(per_aggregate):
            for k, aggregate in enumerate(aggregates):
                at = start + timedelta(microseconds=n * len(aggregates) + k)
                await journal.emit(conn, "brand-a", "live.session.updated.v1", aggregate, n, at)
    async with db.read() as conn:
        rows = await conn.fetch(Sql("SELECT id FROM outbox_events ORDER BY created_at"))
    return [str(row["id"]) for row in rows]


async def undelivered(db: Database) -> int:
    async with db.read() as conn:
        total: int = await conn.fetchval(
            Sql("SELECT COUNT(*) FROM outbox_events WHERE published_at IS NULL")
        )
    return total


class Recorder:
    """A sink that keeps what it was given; fails every publish while `down`."""

    def __init__(self, shared: list[OutboxEvent] | None = None) -> None:
        self.received: list[OutboxEvent] = []
        self.shared = shared if shared is not None else []
        self.down = False

    async def publish(self, events: Sequence[OutboxEvent]) -> list[OutboxEvent]:
        if self.down:
            raise ConnectionError("down")
        self.received.extend(events)
        self.shared.extend(events)
        await asyncio.sleep(0)  # let another dispatcher run while this batch is held
        return list(events)

    async def close(self) -> None:
        return None


@asynccontextmanager
async def nats_client(url: str = NATS_URL) -> AsyncIterator[Client]:
    try:
        client = await nats.connect(url, connect_timeout=2, allow_reconnect=False)
    except Exception as exc:
        unreachable(NATS_HINT.format(url=url) + f" ({type(exc).__name__})")
        raise
    try:
        yield client
    finally:
        await client.close()


def unique_names() -> tuple[str, str]:
    """A stream name and subject prefix of this test alone (parallel runs share the server)."""
    tag = uuid.uuid4().hex[:10]
    return f"TEST_{tag}", f"t{tag}."
