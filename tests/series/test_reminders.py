"""Reminders (SPEC §13): once per (registration, offset) with two workers, moved by a
reschedule, dropped by cancellations, sent to a promoted waitlister. The clock is the test's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from loop_live.platform.db import Database, Sql, open_database
from loop_live.platform.settings import Settings
from loop_live.reminders.jobs import send_reminders
from loop_live.worker import WorkerContext
from tests.support.auth import Tokens
from tests.support.registrations import enrol, unregister_self

START = datetime(2031, 5, 6, 16, 0, tzinfo=UTC)


async def run_at(db: Database, settings: Settings, when: datetime) -> None:
    async with httpx.AsyncClient() as http:
        await send_reminders(WorkerContext(db, settings, http, now=lambda: when))


async def reminders(db: Database) -> list[tuple[str | None, int, str]]:
    async with db.read() as conn:
        rows = await conn.fetch(
            Sql("SELECT payload FROM outbox_events WHERE event_type = 'live.session.reminder.v1'"
                " ORDER BY created_at, id")
        )  # fmt: skip
    found = []
    for row in rows:
        data = json.loads(row["payload"])["data"]
        found.append((data["user_id"], data["offset_minutes"], data["scheduled_at"]))
    return sorted(found)


async def test_each_offset_once_even_with_two_workers(
    new_session: Callable[..., Any],
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    settings: Settings,
) -> None:
    session = await new_session(scheduled_at=START.isoformat())
    await enrol(client, tokens, session["id"], "member-1", "member-2")
    await run_at(db, settings, START - timedelta(hours=25))
    assert await reminders(db) == []
    other = await open_database(settings.database_url, 2)
    try:
        async with httpx.AsyncClient() as http:
            late = START - timedelta(hours=23)
            await asyncio.gather(
                send_reminders(WorkerContext(db, settings, http, now=lambda: late)),
                send_reminders(WorkerContext(other, settings, http, now=lambda: late)),
            )
    finally:
        await other.close()
    await run_at(db, settings, START - timedelta(minutes=10))
    await run_at(db, settings, START - timedelta(minutes=5))
    at = "2031-05-06T16:00:00Z"
    assert await reminders(db) == [
        ("member-1", 15, at), ("member-1", 1440, at), ("member-2", 15, at), ("member-2", 1440, at)
    ]  # fmt: skip


async def test_a_reschedule_moves_the_reminder(
    new_session: Callable[..., Any],
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    settings: Settings,
) -> None:
    session = await new_session(scheduled_at=START.isoformat())
    await enrol(client, tokens, session["id"], "member-1")
    later = START + timedelta(days=2)
    moved = await client.patch(
        f"/v1/sessions/{session['id']}",
        json={"scheduled_at": later.isoformat()},
        headers=tokens.admin(),
    )
    assert moved.status_code == 200, moved.text
    await run_at(db, settings, START - timedelta(minutes=10))  # the old time: nothing
    assert await reminders(db) == []
    await run_at(db, settings, later - timedelta(minutes=10))
    assert await reminders(db) == [("member-1", 15, "2031-05-08T16:00:00Z")]


async def test_cancellations_drop_reminders(
    new_session: Callable[..., Any],
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    settings: Settings,
) -> None:
    kept = await new_session(scheduled_at=START.isoformat())
    dropped = await new_session(scheduled_at=START.isoformat())
    await enrol(client, tokens, kept["id"], "member-1", "member-2")
    await enrol(client, tokens, dropped["id"], "member-3")
    assert (await unregister_self(client, tokens("member-2"), kept["id"])).status_code == 200
    cancel = await client.patch(
        f"/v1/admin/sessions/{dropped['id']}", json={"status": "cancelled"}, headers=tokens.admin()
    )
    assert cancel.status_code == 200, cancel.text
    await run_at(db, settings, START - timedelta(minutes=10))
    assert [user for user, _, _ in await reminders(db)] == ["member-1"]


async def test_a_promoted_waitlister_is_reminded(
    new_session: Callable[..., Any],
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    settings: Settings,
) -> None:
    session = await new_session(scheduled_at=START.isoformat(), max_participants=1)
    await enrol(client, tokens, session["id"], "member-1", "member-2")  # member-2 waits
    await run_at(db, settings, START - timedelta(minutes=10))
    assert [user for user, _, _ in await reminders(db)] == ["member-1"]
    assert (await unregister_self(client, tokens("member-1"), session["id"])).status_code == 200
    await run_at(db, settings, START - timedelta(minutes=5))
    assert [user for user, _, _ in await reminders(db)] == ["member-1", "member-2"]
