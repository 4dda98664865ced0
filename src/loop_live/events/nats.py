"""NATS JetStream: the stream is created or updated at start-up; a publish counts once acked.

Subject = the event type (under `LIVE_NATS_SUBJECT_PREFIX`, empty in production), header
`Nats-Msg-Id` = the event id, so JetStream's duplicate window drops a re-publish after a crash.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from loop_live.platform import metrics
from loop_live.platform.outbox import OutboxEvent
from loop_live.platform.settings import Settings

log = logging.getLogger("loop_live.events")
DUPLICATE_WINDOW_SECONDS = 120.0


def stream_config(settings: Settings) -> StreamConfig:
    return StreamConfig(
        name=settings.nats_stream,
        subjects=[f"{settings.nats_subject_prefix}live.>"],
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


def subject(settings: Settings, event_type: str) -> str:
    return f"{settings.nats_subject_prefix}{event_type}"


async def connect(settings: Settings) -> Client:
    """A connection that does not retry on its own: the dispatcher backs off and reconnects."""
    assert settings.nats_url is not None
    return await nats.connect(
        settings.nats_url,
        connect_timeout=settings.nats_timeout_seconds,
        allow_reconnect=False,
        max_reconnect_attempts=0,
    )


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    assert config.name is not None
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)
        return
    await js.update_stream(config)


class JetStreamSink:
    """Publishes batches; connects lazily and again after any failure."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: Client | None = None
        self._js: JetStreamContext | None = None

    async def _stream(self) -> JetStreamContext:
        if self._js is None or self._client is None or not self._client.is_connected:
            await self.close()
            self._client = await connect(self._settings)
            self._js = self._client.jetstream(timeout=self._settings.nats_timeout_seconds)
            await ensure_stream(self._js, stream_config(self._settings))
            log.info("connected to NATS, stream %s ready", self._settings.nats_stream)
        return self._js

    async def publish(self, events: Sequence[OutboxEvent]) -> list[OutboxEvent]:
        """Publish `events`; per aggregate in order, stopping at its first failure. The acked."""
        js = await self._stream()
        queues: dict[str, list[OutboxEvent]] = {}
        for event in events:
            queues.setdefault(event.aggregate_id, []).append(event)
        done = await asyncio.gather(*(self._in_order(js, queue) for queue in queues.values()))
        acked = {event.id for prefix in done for event in prefix}
        if len(acked) < len(events):
            await self.close()  # the next batch starts from a fresh connection
        return [event for event in events if event.id in acked]

    async def _in_order(self, js: JetStreamContext, queue: list[OutboxEvent]) -> list[OutboxEvent]:
        acked: list[OutboxEvent] = []
        for event in queue:
            started = time.perf_counter()
            try:
                await js.publish(
                    subject(self._settings, event.event_type),
                    event.payload,
                    headers={"Nats-Msg-Id": str(event.id)},
                )
            except Exception as exc:  # any failure leaves the event for later
                metrics.EVENT_DELIVERIES.labels("nats", "failed").inc()
                log.warning("NATS publish failed: %s", type(exc).__name__)
                break
            metrics.NATS_PUBLISH_LATENCY.observe(time.perf_counter() - started)
            metrics.EVENT_DELIVERIES.labels("nats", "published").inc()
            acked.append(event)
        return acked

    async def close(self) -> None:
        client, self._client, self._js = self._client, None, None
        if client is not None and not client.is_closed:
            try:
                await client.close()
            except Exception:  # a dead connection closes as well as it can
                log.debug("closing the NATS connection failed", exc_info=True)
