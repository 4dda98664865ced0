"""Deliveries to a real HTTP receiver on a local socket (SPEC §12): the body and signatures
(verified with `standardwebhooks` and a plain HMAC), the retry schedule on a controllable
clock, dead letters, redelivery, auto-disable with its event, address checks at delivery
time, and a dead endpoint not holding up a live one."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from prometheus_client import REGISTRY
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from loop_live.outbound.delivery import deliver_due
from loop_live.platform.db import Database, Sql
from loop_live.platform.settings import Settings
from tests.support.app import make_settings
from tests.support.auth import BRAND, Tokens
from tests.support.outbound import Clock, deliveries, dispatch, run_once, subscribe, worker
from tests.support.receiver import receiving


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def delivered_count() -> float:
    labels = {"sink": "webhook", "outcome": "delivered"}
    return REGISTRY.get_sample_value("live_event_deliveries_total", labels) or 0.0


async def test_a_session_event_reaches_the_subscriber_signed(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, settings: Settings, new_session: Any
) -> None:
    before = delivered_count()
    async with receiving() as receiver:
        hook = await subscribe(client, tokens, receiver.url("/ok"))
        session = await new_session()
        async with worker(db, settings, Clock()) as ctx:
            await run_once(ctx)

    (got,) = receiver.to("/ok")
    body = msgspec.json.decode(got.body)
    assert set(body) == {"id", "type", "brand_id", "occurred_at", "data"}
    assert body["type"] == "live.session.created.v1"
    assert body["brand_id"] == BRAND
    assert body["data"]["id"] == session["id"]
    assert Webhook(hook["secret"]).verify(got.body, got.headers) == body
    key = base64.b64decode(hook["secret"].removeprefix("whsec_"))
    assert got.headers["x-loop-signature"] == hmac.new(key, got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-loop-event-id"] == got.headers["webhook-id"] == body["id"]
    assert got.headers["x-loop-event-type"] == "live.session.created.v1"
    assert got.headers["x-loop-delivery-attempt"] == "1"
    (log,) = await deliveries(client, tokens, hook["id"])
    assert (log["status"], log["attempts"], log["last_status_code"]) == ("delivered", 1, 200)
    assert log["event_id"] == body["id"]
    assert log["next_attempt_at"] is None
    assert delivered_count() == before + 1


async def test_only_the_chosen_event_types_are_delivered(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, settings: Settings, new_session: Any
) -> None:
    async with receiving() as receiver:
        await subscribe(client, tokens, receiver.url("/ok"), event_types=[])
        await subscribe(
            client, tokens, receiver.url("/gone"), event_types=["live.session.ended.v1"]
        )
        session = await new_session()
        await client.patch(
            f"/v1/admin/sessions/{session['id']}",
            json={"status": "cancelled"},
            headers=tokens.admin(),
        )
        async with worker(db, settings, Clock()) as ctx:
            await run_once(ctx)

    types = [msgspec.json.decode(r.body)["type"] for r in receiver.to("/ok")]
    assert sorted(types) == ["live.session.cancelled.v1", "live.session.created.v1"]
    assert receiver.to("/gone") == []


async def test_5xx_is_retried_with_growing_backoff_then_dead_after_24_hours(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, settings: Settings, new_session: Any
) -> None:
    clock = Clock()
    async with receiving() as receiver, worker(db, settings, clock) as ctx:
        hook = await subscribe(client, tokens, receiver.url("/fail"))
        await new_session()
        await run_once(ctx)
        (first,) = await deliveries(client, tokens, hook["id"])
        await deliver_due(ctx)  # not due yet: nothing sent
        assert len(receiver.requests) == 1
        clock.at = when(first["next_attempt_at"])
        await deliver_due(ctx)
        (second,) = await deliveries(client, tokens, hook["id"])
        clock.advance(hours=25)
        await deliver_due(ctx)
        (last,) = await deliveries(client, tokens, hook["id"])

    start = when(first["updated_at"])
    assert (first["status"], first["attempts"], first["last_status_code"]) == ("pending", 1, 500)
    assert timedelta(seconds=15) <= when(first["next_attempt_at"]) - start <= timedelta(seconds=30)
    gap = when(second["next_attempt_at"]) - when(second["updated_at"])
    assert timedelta(seconds=30) <= gap <= timedelta(seconds=60)
    assert [r.headers["x-loop-delivery-attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert (last["status"], last["attempts"], last["next_attempt_at"]) == ("dead", 3, None)


async def test_429_waits_for_retry_after_and_410_fails_at_once(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, settings: Settings, new_session: Any
) -> None:
    clock = Clock()
    async with receiving() as receiver, worker(db, settings, clock) as ctx:
        busy = await subscribe(client, tokens, receiver.url("/busy"))
        gone = await subscribe(client, tokens, receiver.url("/gone"))
        await new_session()
        await run_once(ctx)
        clock.advance(hours=2)
        await deliver_due(ctx)

    (waiting,) = await deliveries(client, tokens, busy["id"])
    (failed,) = await deliveries(client, tokens, gone["id"])
    assert len(receiver.to("/busy")) == 2  # the retry came after Retry-After, not before
    assert len(receiver.to("/gone")) == 1
    assert (failed["status"], failed["last_status_code"], failed["attempts"]) == ("failed", 410, 1)
    assert failed["next_attempt_at"] is None
    assert waiting["status"] == "pending"
    assert waiting["last_status_code"] == 429


async def test_retry_after_is_honoured(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, settings: Settings, new_session: Any
) -> None:
    clock = Clock()
    async with receiving() as receiver, worker(db, settings, clock) as ctx:
        busy = await subscribe(client, tokens, receiver.url("/busy"))
        await new_session()
        await run_once(ctx)
        (log,) = await deliveries(client, tokens, busy["id"])
        clock.advance(seconds=119)
        await deliver_due(ctx)

    assert when(log["next_attempt_at"]) - clock.at >= timedelta(seconds=0)
    assert when(log["next_attempt_at"]) - when(log["updated_at"]) >= timedelta(seconds=120)
    assert len(receiver.requests) == 1


async def test_redirects_are_not_followed(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, settings: Settings, new_session: Any
) -> None:
    async with receiving() as receiver, worker(db, settings, Clock()) as ctx:
        hook = await subscribe(client, tokens, receiver.url("/redirect"))
        await new_session()
        await run_once(ctx)

    (log,) = await deliveries(client, tokens, hook["id"])
    assert receiver.to("/ok") == []
    assert (log["status"], log["last_status_code"]) == ("failed", 302)


async def test_redelivery_sends_the_same_event_again(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, settings: Settings, new_session: Any
) -> None:
    clock = Clock()
    async with receiving() as receiver, worker(db, settings, clock) as ctx:
        hook = await subscribe(client, tokens, receiver.url("/gone"))
        await new_session()
        await run_once(ctx)
        (failed,) = await deliveries(client, tokens, hook["id"])
        path = f"/v1/admin/webhooks/{hook['id']}/deliveries/{failed['id']}/redeliver"
        again = await client.post(path, headers=tokens.admin())
        missing = await client.post(path.replace(failed["id"], hook["id"]), headers=tokens.admin())
        clock.advance(seconds=1)
        await deliver_due(ctx)

    assert again.status_code == 200, again.text
    assert again.json()["status"] == "pending"
    assert missing.status_code == 404
    first, second = receiver.to("/gone")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert second.headers["x-loop-delivery-attempt"] == "2"


async def test_a_subscription_failing_too_long_is_disabled_and_an_event_says_so(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, database_url: str, new_session: Any
) -> None:
    settings = make_settings(database_url, webhooks_disable_after_hours=1)
    clock = Clock()
    async with receiving() as receiver, worker(db, settings, clock) as ctx:
        hook = await subscribe(client, tokens, receiver.url("/fail"))
        await new_session()
        await run_once(ctx)
        clock.advance(minutes=30)
        await deliver_due(ctx)
        still = await client.get(f"/v1/admin/webhooks/{hook['id']}", headers=tokens.admin())
        clock.advance(minutes=31)
        await deliver_due(ctx)
        await new_session()
        await run_once(ctx)
        await deliver_due(ctx)

    assert still.json()["enabled"] is True
    now = (await client.get(f"/v1/admin/webhooks/{hook['id']}", headers=tokens.admin())).json()
    assert now["enabled"] is False
    assert len(receiver.requests) == 3  # nothing after it was disabled
    async with db.read() as conn:
        rows = await conn.fetch(
            Sql("SELECT aggregate_id, payload FROM outbox_events WHERE event_type = :t"),
            {"t": "live.webhook.disabled.v1"},
        )
    assert [r["aggregate_id"] for r in rows] == [hook["id"]]
    assert msgspec.json.decode(rows[0]["payload"])["data"]["last_status_code"] == 500


async def test_rotation_keeps_the_old_secret_valid_during_the_grace_period(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, settings: Settings, new_session: Any
) -> None:
    clock = Clock()
    async with receiving() as receiver, worker(db, settings, clock) as ctx:
        hook = await subscribe(client, tokens, receiver.url("/ok"))
        rotated = await client.post(
            f"/v1/admin/webhooks/{hook['id']}/rotate-secret", headers=tokens.admin()
        )
        await new_session()
        await run_once(ctx)
        clock.advance(hours=25)
        await new_session()
        await run_once(ctx)

    during, after = receiver.requests
    new = rotated.json()["secret"]
    for secret in (hook["secret"], new):
        Webhook(secret).verify(during.body, during.headers)
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(hook["secret"]).verify(after.body, after.headers)
    key = base64.b64decode(new.removeprefix("whsec_"))
    assert (
        during.headers["x-loop-signature"] == hmac.new(key, during.body, hashlib.sha256).hexdigest()
    )


async def test_an_address_that_turned_private_fails_the_attempt(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, database_url: str, new_session: Any
) -> None:
    strict = make_settings(database_url, webhooks_allow_private=False)
    async with receiving() as receiver, worker(db, strict, Clock()) as ctx:
        hook = await subscribe(client, tokens, receiver.url("/ok"))  # allowed when saved
        await new_session()
        await run_once(ctx)

    (log,) = await deliveries(client, tokens, hook["id"])
    assert receiver.requests == []
    assert log["status"] == "pending"
    assert "private" in log["last_error"]


async def test_a_dead_endpoint_does_not_hold_up_a_live_one(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, database_url: str, new_session: Any
) -> None:
    settings = make_settings(
        database_url, webhooks_timeout_seconds=1, webhooks_endpoint_concurrency=2
    )
    async with receiving() as receiver, worker(db, settings, Clock()) as ctx:
        slow = await subscribe(client, tokens, receiver.url("/slow"))
        await subscribe(client, tokens, receiver.url("/ok"))
        for _ in range(6):
            await new_session()
        await dispatch(db, ctx.now())
        started = time.monotonic()
        await deliver_due(ctx)
        elapsed = time.monotonic() - started

    assert len(receiver.to("/ok")) == 6
    assert len(receiver.to("/slow")) == 2  # one round of timeouts, then the endpoint waits
    assert elapsed < 2.8  # one round of 1 s timeouts, not three
    logs = await deliveries(client, tokens, slow["id"])
    assert {d["status"] for d in logs} == {"pending"}
    assert sum(d["attempts"] for d in logs) == 2
    assert {d["last_error"] for d in logs} == {"timed out", None}


async def test_two_workers_at_once_send_each_delivery_once(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, settings: Settings, new_session: Any
) -> None:
    async with receiving() as receiver, worker(db, settings, Clock()) as one:
        await subscribe(client, tokens, receiver.url("/ok"))
        for _ in range(10):
            await new_session()
        await dispatch(db, one.now())
        async with worker(db, settings, Clock()) as two:
            await asyncio.gather(deliver_due(one), deliver_due(two))

    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == 10 == len(set(ids))


async def test_the_delivery_log_pages_newest_first(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    hook = await subscribe(client, tokens, "http://127.0.0.1:9/x")
    for _ in range(3):
        await new_session()
        await dispatch(db, Clock()())
    path = f"/v1/admin/webhooks/{hook['id']}/deliveries"

    first = (await client.get(path, params={"limit": 2}, headers=tokens.admin())).json()
    rest = await client.get(
        path, params={"limit": 2, "cursor": first["next_cursor"]}, headers=tokens.admin()
    )
    forged = await client.get(
        path, params={"cursor": "abc.0123456789abcdef"}, headers=tokens.admin()
    )

    every = first["deliveries"] + rest.json()["deliveries"]
    assert len(every) == 3 == len({d["id"] for d in every})
    assert [d["created_at"] for d in every] == sorted(
        (d["created_at"] for d in every), reverse=True
    )
    assert rest.json()["next_cursor"] is None
    assert forged.status_code == 400
