"""`loop-live events tail` and `loop-live outbox status` (SPEC §12)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta

from loop_live.events import nats as jetstream
from loop_live.events import repository as repo
from loop_live.outbound import repository as outbound
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Database, open_database
from loop_live.platform.outbox import OutboxEvent
from loop_live.platform.settings import Settings

Echo = Callable[[str], None]
POLL_SECONDS = 0.5


async def status(settings: Settings, echo: Echo) -> None:
    db = await open_database(settings.database_url, 1)
    try:
        async with db.read() as conn:
            waiting, oldest = await repo.backlog(conn)
        age = "-" if oldest is None else f"{max(0.0, (utcnow() - oldest).total_seconds()):.1f} s"
        echo(f"backlog: {waiting} events")
        echo(f"oldest undelivered: {age}")
        echo(f"failing subscriptions: {await failing_subscriptions(db)}")
    finally:
        await db.close()


async def failing_subscriptions(db: Database) -> str:
    """Outbound webhook subscriptions that are failing now or were disabled for failing."""
    async with db.read() as conn:
        rows = await outbound.failing(conn)
    lines = [
        f"  {row['brand_id']} {row['id']} {'disabled' if not row['enabled'] else 'failing'}"
        f" since {row['failing_since'].isoformat() if row['failing_since'] else '-'}"
        for row in rows
    ]
    return "\n".join([str(len(rows)), *lines])


async def tail(settings: Settings, event_type: str | None, echo: Echo) -> None:
    """Print events as they are published: from NATS when configured, else polled from the
    outbox (events written from now on, delivered or not)."""
    if settings.nats_url:
        await _tail_nats(settings, event_type, echo)
    else:
        await _tail_outbox(settings, event_type, echo)


async def _tail_nats(settings: Settings, event_type: str | None, echo: Echo) -> None:
    client = await jetstream.connect(settings)
    subject = jetstream.subject(settings, event_type or "live.>")
    try:
        subscription = await client.subscribe(subject)
        async for message in subscription.messages:
            echo(message.data.decode())
    finally:
        with contextlib.suppress(Exception):
            await client.close()


async def _tail_outbox(settings: Settings, event_type: str | None, echo: Echo) -> None:
    db = await open_database(settings.database_url, 1)
    after = utcnow() - timedelta(seconds=1)
    try:
        while True:
            async with db.read() as conn:
                events = await repo.written_after(conn, after, 500)
            for event in events:
                _print(event, event_type, echo)
                after = max(after, event.created_at)
            if not events:
                await asyncio.sleep(POLL_SECONDS)
    finally:
        await db.close()


def _print(event: OutboxEvent, event_type: str | None, echo: Echo) -> None:
    if event_type is None or event.event_type == event_type:
        echo(event.payload.decode())
