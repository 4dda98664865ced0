"""Retention (SPEC §11) with a controllable `now`: what is pruned, what is kept (undelivered
events, always), batches, two pruners at once, and expired Idempotency-Keys not replayed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from loop_live.platform.db import Database, Sql, open_database
from loop_live.platform.retention import prune
from loop_live.platform.settings import Settings
from tests.support.app import make_settings
from tests.support.auth import BRAND, TOKENS
from tests.support.databases import count
from tests.support.retention import add_events, add_inbox, add_keys

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


async def test_prune_deletes_what_expired_and_keeps_the_rest(
    db: Database, settings: Settings
) -> None:
    await add_keys(db, [ago(seconds=1), ago(hours=30), NOW + timedelta(hours=23)])
    await add_events(db, [ago(days=8), ago(days=6)], at=ago(days=9))
    await add_events(db, [None], at=ago(days=3650))  # undelivered for ten years
    await add_inbox(db, [ago(days=31), ago(days=29)])

    pruned = await prune(db, NOW, settings)

    assert pruned == {"idempotency_keys": 2, "outbox_events": 1, "webhook_inbox": 1}
    assert await count(db, "idempotency_keys") == 1
    assert await count(db, "outbox_events", "published_at IS NULL") == 1
    assert await count(db, "outbox_events", "published_at IS NOT NULL") == 1
    assert await count(db, "webhook_inbox") == 1
    assert await prune(db, NOW, settings) == dict.fromkeys(pruned, 0)


async def test_undelivered_events_are_never_pruned(db: Database, settings: Settings) -> None:
    await add_events(db, [None] * 5, at=ago(days=10_000))

    await prune(db, NOW + timedelta(days=36_500), make_settings(settings.database_url,
                retention_outbox_days=1))  # fmt: skip

    assert await count(db, "outbox_events") == 5


async def test_retention_periods_are_settings(db: Database, settings: Settings) -> None:
    await add_events(db, [ago(days=2)], at=ago(days=2))
    await add_inbox(db, [ago(days=2)])

    assert await prune(db, NOW, settings) == dict.fromkeys(
        ("idempotency_keys", "outbox_events", "webhook_inbox"), 0
    )
    short = make_settings(settings.database_url, retention_outbox_days=1, retention_inbox_days=1)
    assert await prune(db, NOW, short) == {
        "idempotency_keys": 0,
        "outbox_events": 1,
        "webhook_inbox": 1,
    }


async def test_prune_works_through_many_small_batches(db: Database, settings: Settings) -> None:
    await add_keys(db, [ago(hours=1)] * 11)

    pruned = await prune(db, NOW, settings, batch=3)

    assert pruned["idempotency_keys"] == 11
    assert await count(db, "idempotency_keys") == 0


async def test_two_pruners_at_once_delete_each_row_exactly_once(
    db: Database, settings: Settings
) -> None:
    await add_events(db, [ago(days=30)] * 60, at=ago(days=30))
    await add_events(db, [None] * 3, at=ago(days=30))
    first = await open_database(settings.database_url, 2)
    second = await open_database(settings.database_url, 2)
    try:
        results = await asyncio.gather(
            prune(first, NOW, settings, batch=4), prune(second, NOW, settings, batch=4)
        )
    finally:
        await first.close()
        await second.close()

    assert sum(r["outbox_events"] for r in results) == 60
    assert await count(db, "outbox_events") == 3


async def test_an_expired_idempotency_key_is_not_replayed(
    client: httpx.AsyncClient, db: Database
) -> None:
    headers = {**TOKENS.admin(), "Idempotency-Key": "daily-1"}
    body = {"host_id": "host-1", "brand_id": BRAND, "title": "Yoga",
            "scheduled_at": "2030-01-15T10:00:00+00:00", "max_participants": 5}  # fmt: skip
    first = await client.post("/v1/sessions", json=body, headers=headers)
    async with db.write() as conn:
        await conn.execute(
            Sql("UPDATE idempotency_keys SET expires_at = :past"),
            {"past": datetime.now(UTC) - timedelta(seconds=1)},
        )

    again = await client.post("/v1/sessions", json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert await count(db, "sessions") == 2
