"""Repeated and out-of-order deliveries converge (SPEC §5): whatever order GetStream's
deliveries and retries arrive in, the session ends in the state that delivering each event
once, in the order the provider produced them, would give."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loop_live.platform.db import Database, Sql
from tests.support.auth import Tokens
from tests.support.fakes.getstream_server import JSON
from tests.support.sessions import session_view
from tests.support.webhooks import T0, accepted, attach_call, ended, recording, started

KINDS = ("start", "end", "recording")


@dataclass(frozen=True)
class Delivery:
    """One provider event and the X-Webhook-Id GetStream keeps across its retries."""

    kind: str
    at: datetime
    webhook_id: str
    rfc3339: bool  # created_at as RFC 3339 text instead of Unix nanoseconds

    @property
    def url(self) -> str:
        return f"https://cdn.invalid/recordings/{self.webhook_id}.mp4"

    def event(self, cid: str) -> JSON:
        build = {"start": started, "end": ended}.get(self.kind)
        body = build(cid, self.at) if build else recording(cid, self.url, self.at)
        return {**body, "created_at": self.at.isoformat()} if self.rfc3339 else body


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Delivery], list[Delivery]]:
    """Distinct events at distinct instants, and a shuffled stream of them with retries."""
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=6))
    seconds = st.integers(min_value=0, max_value=4 * 3600)
    offsets = draw(st.lists(seconds, min_size=len(kinds), max_size=len(kinds), unique=True))
    formats = draw(st.lists(st.booleans(), min_size=len(kinds), max_size=len(kinds)))
    events = [
        Delivery(kind, T0 + timedelta(seconds=offset), f"wh-{index}", rfc3339)
        for index, (kind, offset, rfc3339) in enumerate(zip(kinds, offsets, formats, strict=True))
    ]
    retries = draw(st.lists(st.sampled_from(events), max_size=6))
    return events, draw(st.permutations(events + retries))


def expected_state(events: list[Delivery]) -> dict[str, Any]:
    """The order-independent outcome: earliest start, latest end, latest recording;
    ended wins over live."""
    starts = [e.at for e in events if e.kind == "start"]
    ends = [e.at for e in events if e.kind == "end"]
    recordings = sorted((e for e in events if e.kind == "recording"), key=lambda e: e.at)
    return {
        "status": "ended" if ends else "live" if starts else "scheduled",
        "started_at": min(starts, default=None),
        "ended_at": max(ends, default=None),
        "recording_url": recordings[-1].url if recordings else None,
    }


async def reset(db: Database, session_id: str) -> None:
    """Back to a scheduled session whose provider has sent nothing yet."""
    async with db.write() as conn:
        await conn.execute(
            Sql("UPDATE sessions SET status = 'scheduled', started_at = NULL, ended_at = NULL,"
                " recording_url = NULL, recording_ready_at = NULL WHERE id = :id"),
            {"id": uuid.UUID(session_id)},
        )  # fmt: skip
        await conn.execute(Sql("DELETE FROM webhook_inbox"))


async def state_after(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    session_id: str,
    cid: str,
    deliveries: list[Delivery],
) -> dict[str, Any]:
    await reset(db, session_id)
    for delivery in deliveries:
        await accepted(client, delivery.event(cid), webhook_id=delivery.webhook_id)
    view = await session_view(client, tokens, session_id)
    return {
        "status": view["status"],
        "started_at": view["started_at"] and datetime.fromisoformat(view["started_at"]),
        "ended_at": view["ended_at"] and datetime.fromisoformat(view["ended_at"]),
        "recording_url": view["recording_url"],
    }


@pytest.fixture
async def session_call(new_session: Any, db: Database) -> tuple[str, str]:
    session = await new_session()
    return session["id"], await attach_call(db, session["id"])


# Why `@given` straight on an async test: pytest-asyncio recognises Hypothesis tests and runs
# each example's coroutine on the test's event loop (here the session loop the app and its
# database pool live on), so no second loop (`asyncio.run`) and no `.example()` are needed,
# and Hypothesis keeps shrinking a failure to a minimal sequence. Fixtures are set up once per
# test, not per example: the function-scoped ones (the session, the emptied tables) are
# deliberately shared, and `reset()` puts the session row and the inbox back before each
# delivery run, hence the suppressed health check. No example database: nothing is written
# to the working tree; a failure prints its minimal sequence and the seed to reproduce it.
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(history=histories())
async def test_any_order_with_retries_reaches_the_chronological_state(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    session_call: tuple[str, str],
    history: tuple[list[Delivery], list[Delivery]],
) -> None:
    session_id, cid = session_call
    events, arrivals = history
    chronological = await state_after(
        client, tokens, db, session_id, cid, sorted(events, key=lambda e: e.at)
    )
    assert chronological == expected_state(events)

    assert await state_after(client, tokens, db, session_id, cid, arrivals) == chronological
