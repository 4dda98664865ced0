"""Provider webhooks (SPEC §5): signed deliveries in GetStream's documented format.

Shared helpers for the tests of this package: build events with the builders of
tests/fakes/getstream_server.py, sign and post them, and read back what a user would see.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from loop_live.platform.db import Database, Sql
from tests.conftest import STREAM_SECRET, Tokens
from tests.fakes.getstream_server import (
    JSON,
    call_json,
    recording_ready_event,
    session_ended_event,
    session_started_event,
    webhook_headers,
)

URL = "/webhooks/stream"
API_KEY = "loop-live-local"  # the local provider's key when LIVE_STREAM_API_KEY is unset
RTC_SESSION = "rtc-session-1"  # the provider's own session id; never used to find our session
T0 = datetime(2030, 1, 15, 10, 0, tzinfo=UTC)


def ns(at: datetime) -> int:
    """GetStream's `created_at`: Unix nanoseconds (exact, no float rounding)."""
    return (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000


def started(cid: str, at: datetime = T0) -> JSON:
    call_type, _, call_id = cid.partition(":")
    return session_started_event(call_json(call_type, call_id), RTC_SESSION, ts=ns(at))


def ended(cid: str, at: datetime = T0 + timedelta(hours=1)) -> JSON:
    call_type, _, call_id = cid.partition(":")
    return session_ended_event(call_json(call_type, call_id), RTC_SESSION, ts=ns(at))


def recording(cid: str, url: str, at: datetime = T0 + timedelta(hours=2)) -> JSON:
    return recording_ready_event(cid, RTC_SESSION, url=url, ts=ns(at))


async def deliver(
    client: httpx.AsyncClient,
    event: JSON | bytes,
    *,
    webhook_id: str | None = None,
    secret: str = STREAM_SECRET,
) -> httpx.Response:
    """POST one delivery the way GetStream sends it: signed, with its own X-Webhook-Id."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = webhook_headers(body, API_KEY, secret, webhook_id=webhook_id)
    return await client.post(URL, content=body, headers=headers)


async def accepted(client: httpx.AsyncClient, event: JSON, webhook_id: str | None = None) -> str:
    """Deliver and expect a 200; returns the outcome the service reports."""
    response = await deliver(client, event, webhook_id=webhook_id)
    assert response.status_code == 200, response.text
    assert response.json()["received"] is True
    outcome: str = response.json()["outcome"]
    return outcome


async def attach_call(db: Database, session_id: str) -> str:
    """Store a provider call on the session, as the first join does; returns its cid."""
    cid = f"livestream:{session_id}"
    async with db.write() as conn:
        await conn.execute(
            Sql("UPDATE sessions SET stream_call_id = :cid WHERE id = :id"),
            {"cid": cid, "id": uuid.UUID(session_id)},
        )
    return cid


async def session_view(client: httpx.AsyncClient, tokens: Tokens, session_id: str) -> Any:
    response = await client.get(f"/v1/sessions/{session_id}", headers=tokens())
    assert response.status_code == 200, response.text
    return response.json()


def instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


async def inbox_size(db: Database) -> int:
    async with db.read() as conn:
        count: int = await conn.fetchval(Sql("SELECT COUNT(*) FROM webhook_inbox"))
    return count


async def outbox_types(db: Database, aggregate_id: str) -> list[str]:
    async with db.read() as conn:
        rows = await conn.fetch(
            Sql("SELECT event_type FROM outbox_events WHERE aggregate_id = :id"
                " ORDER BY created_at, event_type"),
            {"id": aggregate_id},
        )  # fmt: skip
    return [row["event_type"] for row in rows]
