"""The outbox dispatcher on the real database: every event once, in order per aggregate, with
concurrent dispatchers; nothing marked while the sink fails; fan-outs see what was delivered."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import msgspec
import pytest

from loop_live.events import dispatch
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Connection, Database
from loop_live.platform.outbox import OutboxEvent
from loop_live.platform.settings import Settings
from tests.support.events import Recorder, emit, undelivered


async def test_every_event_once_in_order_per_aggregate(db: Database) -> None:
    ids = await emit(db, ["s1", "s2", "s3"], per_aggregate=4)
    sink = Recorder()

    delivered = await dispatch.drain(db, sink, utcnow, max_batches=10)

    assert delivered == 12
    assert sorted(str(e.id) for e in sink.received) == sorted(ids)
    for aggregate in ("s1", "s2", "s3"):
        data = [
            msgspec.json.decode(e.payload)["data"]
            for e in sink.received
            if e.aggregate_id == aggregate
        ]
        assert data == [0, 1, 2, 3]
    assert await undelivered(db) == 0


async def test_envelope_carries_brand_and_type(db: Database) -> None:
    await emit(db, ["s1"], per_aggregate=1)
    sink = Recorder()
    await dispatch.drain(db, sink, utcnow, max_batches=1)
    envelope = msgspec.json.decode(sink.received[0].payload)
    assert envelope["brand_id"] == "brand-a"
    assert envelope["type"] == "live.session.updated.v1"
    assert envelope["id"] == str(sink.received[0].id)


async def test_concurrent_dispatchers_share_without_reordering(db: Database) -> None:
    if db.dialect == "sqlite":
        pytest.skip("SQLite: one writer at a time; the PostgreSQL run covers concurrent claims")
    await emit(db, [f"s{i}" for i in range(20)], per_aggregate=10)
    published: list[OutboxEvent] = []  # every sink's publishes, in the order they happened
    sinks = [Recorder(published) for _ in range(4)]

    async def run(sink: Recorder) -> None:
        for _ in range(50):
            await dispatch.dispatch(db, sink, utcnow, batch=7)

    await asyncio.gather(*(run(sink) for sink in sinks))

    assert len(published) == 200
    assert len({e.id for e in published}) == 200
    assert all(sink.received for sink in sinks)  # the work was shared
    for aggregate in {e.aggregate_id for e in published}:  # never overtaken, across workers
        mine = [e.created_at for e in published if e.aggregate_id == aggregate]
        assert mine == sorted(mine)


async def test_failing_sink_marks_nothing_and_later_delivers(db: Database) -> None:
    await emit(db, ["s1", "s2"], per_aggregate=3)
    sink = Recorder()
    sink.down = True

    outcome = await dispatch.dispatch(db, sink, utcnow)

    assert outcome.claimed == 6
    assert outcome.delivered == 0
    assert await undelivered(db) == 6
    sink.down = False
    assert await dispatch.drain(db, sink, utcnow, max_batches=5) == 6


async def test_fanouts_run_in_the_marking_transaction(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await emit(db, ["s1"], per_aggregate=2)
    seen: list[str] = []

    async def fan_out(conn: Connection, events: Sequence[OutboxEvent], now: datetime) -> int:
        seen.extend(str(e.id) for e in events)
        raise RuntimeError("the fan-out failed")

    monkeypatch.setattr(dispatch, "FANOUTS", (*dispatch.FANOUTS, fan_out))
    with pytest.raises(RuntimeError):
        await dispatch.dispatch(db, Recorder(), utcnow)

    assert len(seen) == 2
    assert await undelivered(db) == 2  # rolled back with the fan-out: delivered again later


async def test_pump_stops_promptly(db: Database, settings: Settings) -> None:
    await emit(db, ["s1"], per_aggregate=3)
    stop = asyncio.Event()
    sink = Recorder()
    task = asyncio.create_task(dispatch.pump(db, sink, utcnow, stop, 0.05))
    for _ in range(100):
        if len(sink.received) == 3:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert len(sink.received) == 3
