"""Outbox metrics on /metrics: backlog and oldest-undelivered age sampled at scrape; NATS
publish latency and deliveries by outcome counted by a real JetStream publish."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import httpx
from prometheus_client import REGISTRY

from loop_live.events import dispatch
from loop_live.events.nats import JetStreamSink
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Database
from tests.support.app import make_settings
from tests.support.events import NATS_URL, emit, nats_client, unique_names


def sample(text: str, name: str) -> float:
    line = next(x for x in text.splitlines() if x.startswith(name + " "))
    return float(line.split()[1])


async def test_backlog_and_oldest_age_on_metrics(client: httpx.AsyncClient, db: Database) -> None:
    await emit(db, ["s1"], per_aggregate=3, start=utcnow() - timedelta(minutes=10))
    text = (await client.get("/metrics")).text
    assert sample(text, "live_outbox_backlog") == 3
    assert 600 <= sample(text, "live_outbox_oldest_undelivered_age_seconds") < 700

    await dispatch.drain(db, dispatch.NoSink(), utcnow, max_batches=1)
    text = (await client.get("/metrics")).text
    assert sample(text, "live_outbox_backlog") == 0
    assert sample(text, "live_outbox_oldest_undelivered_age_seconds") == 0


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_nats_publishes_are_timed_and_counted(database_url: str, db: Database) -> None:
    name, prefix = unique_names()
    settings = make_settings(
        database_url, nats_url=NATS_URL, nats_stream=name, nats_subject_prefix=prefix
    )
    async with nats_client() as client:
        before = value("live_event_deliveries_total", sink="nats", outcome="published")
        timed = value("live_nats_publish_duration_seconds_count")
        await emit(db, ["s1", "s2"], per_aggregate=2)
        sink = JetStreamSink(settings)
        try:
            assert await dispatch.drain(db, sink, utcnow, max_batches=2) == 4
        finally:
            await sink.close()
            with contextlib.suppress(Exception):
                await client.jetstream().delete_stream(name)
    assert value("live_event_deliveries_total", sink="nats", outcome="published") == before + 4
    assert value("live_nats_publish_duration_seconds_count") == timed + 4
