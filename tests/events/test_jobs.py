"""Scheduled jobs: stale sessions closed once (even by two workers at once), audited and
evented; the reconciler applies the provider's truth (a real HTTP fake of GetStream) once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from loop_live.events import jobs
from loop_live.platform.db import Database, Sql
from loop_live.platform.settings import Settings
from loop_live.worker import WorkerContext
from tests.support.app import make_settings
from tests.support.auth import Tokens
from tests.support.journal import outbox_types
from tests.support.providers import getstream_app, join, minutes_from_now, stored_call
from tests.support.sessions import session_body


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> AsyncIterator[WorkerContext]:
    async with httpx.AsyncClient() as http:
        yield WorkerContext(db, settings, http)


async def audit_actors(db: Database, entity: str) -> list[str]:
    async with db.read() as conn:
        rows = await conn.fetch(
            Sql("SELECT actor, action FROM audit_log WHERE entity_id = :id ORDER BY created_at"),
            {"id": entity},
        )
    return [f"{row['actor']} {row['action']}" for row in rows]


async def test_stale_sessions_end_once_even_with_two_workers(
    ctx: WorkerContext, db: Database, client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    stale = await new_session(scheduled_at="2020-01-01T10:00:00Z", duration_minutes=60)
    recent = await new_session(scheduled_at=minutes_from_now(-120), duration_minutes=60)
    upcoming = await new_session(scheduled_at=minutes_from_now(60))

    await asyncio.gather(jobs.close_stale(ctx), jobs.close_stale(ctx))

    body = (await client.get(f"/v1/sessions/{stale['id']}", headers=tokens())).json()
    assert body["status"] == "ended"
    assert body["started_at"] is None
    assert body["ended_at"].startswith("2020-01-01T11:00:00")
    assert await outbox_types(db, stale["id"]) == [
        "live.session.created.v1",
        "live.session.ended.v1",
        "live.attendance.recorded.v1",
    ]
    assert "provider:worker session.call.session_ended" in await audit_actors(db, stale["id"])
    for other in (recent, upcoming):  # within LIVE_STALE_SESSION_HOURS of their end: untouched
        got = await client.get(f"/v1/sessions/{other['id']}", headers=tokens())
        assert got.json()["status"] == "scheduled"


async def test_reconciler_applies_what_the_provider_says_once(
    database_url: str, db: Database
) -> None:
    overrides = {"reconcile_after_minutes": 0}
    async with getstream_app(database_url, **overrides) as (fake, client):
        created = await client.post(
            "/v1/sessions",
            json=session_body(scheduled_at=minutes_from_now(-5)),
            headers=Tokens().admin(),
        )
        assert created.status_code == 201, created.text
        session_id = created.json()["id"]
        assert (await join(client, session_id, "host-1")).status_code == 200
        cid = await stored_call(client, session_id)
        assert cid is not None
        worker_settings = make_settings(
            database_url,
            stream_provider="getstream",
            stream_api_key=fake.api_key,
            stream_api_secret=fake.api_secret,
            stream_base_url=fake.base_url,
            reconcile_after_minutes=0,
        )
        async with httpx.AsyncClient() as http:
            ctx = WorkerContext(db, worker_settings, http)
            await jobs.reconcile(ctx)  # the provider has no session running yet: nothing
            assert await outbox_types(db, session_id) == ["live.session.created.v1"]

            fake.calls[cid]["current_session_id"] = "provider-session-1"
            await asyncio.gather(jobs.reconcile(ctx), jobs.reconcile(ctx))
            fake.calls[cid]["ended_at"] = fake.calls[cid]["created_at"]
            fake.calls[cid]["current_session_id"] = ""
            await jobs.reconcile(ctx)
            await jobs.reconcile(ctx)

        session = (await client.get(f"/v1/sessions/{session_id}", headers=Tokens()())).json()
    assert session["status"] == "ended"
    assert await outbox_types(db, session_id) == [
        "live.session.created.v1",
        "live.session.started.v1",
        "live.session.ended.v1",
        "live.attendance.recorded.v1",
    ]


async def test_reconciler_with_the_local_provider_changes_nothing(
    ctx: WorkerContext, db: Database, new_session: Any
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(-5))
    await jobs.reconcile(ctx)
    assert await outbox_types(db, session["id"]) == ["live.session.created.v1"]
