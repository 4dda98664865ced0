"""The outbox dispatcher: at least once, in order per aggregate, shared by any number of workers.

A batch is claimed (see `events.repository`), published to NATS when configured, and marked
published in one transaction with every fan-out in `FANOUTS` (outbound webhooks) that the same
events are handed to. Nothing is marked before NATS acked it: a crash in between re-publishes,
and JetStream's duplicate window (by `Nats-Msg-Id`) drops the copy. On PostgreSQL the claim's
row locks are held through the publish; on SQLite the claim is a plain read (one writer at a
time, so the API's writes are not held up by a slow NATS) and the mark skips nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from loop_live.events import repository as repo
from loop_live.outbound import fanout
from loop_live.platform.db import Connection, Database
from loop_live.platform.outbox import OutboxEvent

log = logging.getLogger("loop_live.events")

Fanout = Callable[[Connection, Sequence[OutboxEvent], datetime], Awaitable[int]]
# Each runs in the transaction that marks a batch published: nothing is fanned out twice.
FANOUTS: tuple[Fanout, ...] = (fanout.fan_out,)
BATCH = 500
MAX_BACKOFF_SECONDS = 30.0


class Sink(Protocol):
    async def publish(self, events: Sequence[OutboxEvent]) -> list[OutboxEvent]: ...
    async def close(self) -> None: ...


class NoSink:
    """Without NATS an event is delivered once the fan-outs have taken it."""

    async def publish(self, events: Sequence[OutboxEvent]) -> list[OutboxEvent]:
        return list(events)

    async def close(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Outcome:
    claimed: int
    delivered: int

    @property
    def failed(self) -> bool:
        return self.delivered < self.claimed


async def dispatch(
    db: Database, sink: Sink, now: Callable[[], datetime], batch: int = BATCH
) -> Outcome:
    """Claim, publish and mark one batch."""
    if db.dialect == "postgresql":
        async with db.write() as conn:
            events = await repo.claim(conn, batch)
            return await _settle(conn, events, await _publish(sink, events), now())
    async with db.read() as conn:
        events = await repo.claim(conn, batch)
    if not events:
        return Outcome(0, 0)
    delivered = await _publish(sink, events)
    async with db.write() as conn:
        return await _settle(conn, events, delivered, now())


async def _publish(sink: Sink, events: Sequence[OutboxEvent]) -> list[OutboxEvent]:
    if not events:
        return []
    try:
        return await sink.publish(events)
    except Exception as exc:  # NATS unreachable: nothing delivered, retry later
        log.warning("publishing %d events failed: %s", len(events), type(exc).__name__)
        return []


async def _settle(
    conn: Connection,
    events: Sequence[OutboxEvent],
    delivered: list[OutboxEvent],
    now: datetime,
) -> Outcome:
    if delivered:
        await repo.mark_published(conn, [event.id for event in delivered], now)
        for fan_out in FANOUTS:
            await fan_out(conn, delivered, now)
    for head in _failed_heads(events, delivered):
        await repo.mark_failed(conn, head.id)
    return Outcome(len(events), len(delivered))


def _failed_heads(
    events: Sequence[OutboxEvent], delivered: Sequence[OutboxEvent]
) -> list[OutboxEvent]:
    done = {event.id for event in delivered}
    heads: dict[str, OutboxEvent] = {}
    for event in events:
        if event.id not in done:
            heads.setdefault(event.aggregate_id, event)
    return list(heads.values())


async def drain(db: Database, sink: Sink, now: Callable[[], datetime], max_batches: int) -> int:
    """Dispatch until the outbox is empty, a batch fails, or `max_batches`; events delivered."""
    total = 0
    for _ in range(max_batches):
        outcome = await dispatch(db, sink, now)
        total += outcome.delivered
        if outcome.failed or outcome.claimed < BATCH:
            break
    return total


async def pump(
    db: Database,
    sink: Sink,
    now: Callable[[], datetime],
    stop: asyncio.Event,
    poll_seconds: float,
) -> None:
    """Deliver until `stop`: at once while there is work, every `poll_seconds` when idle, with
    exponential backoff (capped) while NATS or the database fails."""
    backoff = 0.0
    while not stop.is_set():
        try:
            outcome = await dispatch(db, sink, now)
        except Exception:  # the database is down: back off like NATS
            log.warning("outbox dispatch failed; backing off", exc_info=True)
            outcome = Outcome(1, 0)
        backoff = _next_backoff(backoff, poll_seconds) if outcome.failed else 0.0
        if outcome.claimed == BATCH and not outcome.failed:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), backoff or poll_seconds)


def _next_backoff(previous: float, poll_seconds: float) -> float:
    return min(MAX_BACKOFF_SECONDS, max(previous * 2, poll_seconds, 0.5))
