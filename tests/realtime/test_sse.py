"""SSE (SPEC §14): a change made through one process reaches a subscriber on another within a
second; brand rules and scopes as for reads; heartbeats; resume; disconnects cleaned up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.auth import OTHER_BRAND, Tokens
from tests.support.realtime import servers, subscribe, subscribers, wait_for
from tests.support.sessions import session_body


@pytest.fixture(scope="module")
def bases(database_url: str, tmp_dir: Path) -> Iterator[tuple[str, str]]:
    """(writer, subscriber): two processes on PostgreSQL, one process on SQLite."""
    count = 2 if database_url.startswith("postgresql") else 1
    with servers(database_url, tmp_dir, count) as urls:
        yield urls[0], urls[-1]


@pytest.fixture
async def writer(bases: tuple[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=bases[0], timeout=10) as client:
        yield client


async def create(writer: httpx.AsyncClient, tokens: Tokens, **overrides: Any) -> dict[str, Any]:
    body = session_body(**overrides)
    response = await writer.post(
        "/v1/sessions", json=body, headers=tokens.admin(brand=body["brand_id"])
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def retitle(
    writer: httpx.AsyncClient, tokens: Tokens, session: dict[str, Any], title: str
) -> None:
    response = await writer.patch(
        f"/v1/sessions/{session['id']}",
        json={"title": title},
        headers=tokens.admin(brand=session["brand_id"]),
    )
    assert response.status_code == 200, response.text


async def test_a_change_through_one_process_reaches_a_subscriber_on_another_within_a_second(
    bases: tuple[str, str], writer: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await create(writer, tokens)
    path = f"/v1/live/sessions/{session['id']}/events"
    async with subscribe(bases[1], path, tokens()) as stream:
        first = await stream.next()
        assert (first.event, first.json()["title"]) == ("session", "Morning mobility")
        started = time.monotonic()
        await retitle(writer, tokens, session, "Evening stretch")
        event = await asyncio.wait_for(stream.next(), 1.0)
        elapsed = time.monotonic() - started
    assert event.event == "session"
    assert event.json()["title"] == "Evening stretch"
    assert event.id
    assert elapsed < 1.0


async def test_the_brand_stream_carries_registrations_and_only_the_callers_brand(
    bases: tuple[str, str], writer: httpx.AsyncClient, tokens: Tokens
) -> None:
    ours = await create(writer, tokens)
    theirs = await create(writer, tokens, brand_id=OTHER_BRAND)
    async with subscribe(bases[1], "/v1/live/events", tokens()) as stream:
        await retitle(writer, tokens, theirs, "Not yours")
        registered = await writer.post(
            f"/v1/sessions/{ours['id']}/registrations", headers=tokens("member-7")
        )
        assert registered.status_code in (200, 201), registered.text
        event = await asyncio.wait_for(stream.next(), 2.0)
    assert event.json()["id"] == ours["id"]
    assert event.json()["registered_count"] == 1


async def test_the_brand_stream_filters_by_host(
    bases: tuple[str, str], writer: httpx.AsyncClient, tokens: Tokens
) -> None:
    other_host = await create(writer, tokens, host_id="host-1")
    watched = await create(writer, tokens, host_id="host-2")
    async with subscribe(bases[1], "/v1/live/events", tokens(), host_id="host-2") as stream:
        await retitle(writer, tokens, other_host, "Elsewhere")
        await retitle(writer, tokens, watched, "Watched")
        event = await asyncio.wait_for(stream.next(), 2.0)
    assert (event.json()["id"], event.json()["title"]) == (watched["id"], "Watched")


async def test_another_brands_session_is_not_found_and_scopes_apply(
    bases: tuple[str, str], writer: httpx.AsyncClient, tokens: Tokens
) -> None:
    theirs = await create(writer, tokens, brand_id=OTHER_BRAND)
    path = f"/v1/live/sessions/{theirs['id']}/events"
    async with httpx.AsyncClient(base_url=bases[1], timeout=5) as client:
        not_found = await client.get(path, headers=tokens())
        no_token = await client.get("/v1/live/events")
        no_read = await client.get("/v1/live/events", headers=tokens("member-1", "write:live"))
        bad_id = await client.get("/v1/live/sessions/not-a-uuid/events", headers=tokens())
    assert (not_found.status_code, not_found.json()["error"]) == (404, "not_found")
    assert no_token.status_code == 401
    assert no_read.status_code == 403
    assert bad_id.status_code == 404


async def test_heartbeats_keep_an_idle_stream_open(bases: tuple[str, str], tokens: Tokens) -> None:
    async with subscribe(bases[1], "/v1/live/events", tokens()) as stream:
        beat = await asyncio.wait_for(stream.next(comments=True), 2.0)
    assert beat.comments == ["heartbeat"]


async def test_last_event_id_resumes_with_the_changes_missed(
    bases: tuple[str, str], writer: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await create(writer, tokens)
    path = f"/v1/live/sessions/{session['id']}/events"
    async with subscribe(bases[1], path, tokens()) as stream:
        await stream.next()
        await retitle(writer, tokens, session, "One")
        seen = await asyncio.wait_for(stream.next(), 2.0)
    await retitle(writer, tokens, session, "Two")
    await retitle(writer, tokens, session, "Three")
    await asyncio.sleep(0.3)  # the notices reach the subscriber's process
    resumed = {**tokens(), "Last-Event-ID": seen.id or ""}
    async with subscribe(bases[1], path, resumed) as stream:
        missed = [await asyncio.wait_for(stream.next(), 2.0) for _ in range(2)]
    assert all(event.id not in (None, seen.id) for event in missed)
    assert missed[0].id != missed[1].id
    assert missed[-1].json()["title"] == "Three"


async def test_an_unknown_last_event_id_gets_the_current_state(
    bases: tuple[str, str], writer: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await create(writer, tokens)
    path = f"/v1/live/sessions/{session['id']}/events"
    async with subscribe(bases[1], path, {**tokens(), "Last-Event-ID": "gone"}) as stream:
        current = await stream.next()
    async with subscribe(bases[1], "/v1/live/events", {**tokens(), "Last-Event-ID": "gone"}) as s:
        reset = await s.next()
    assert (current.event, current.id, current.json()["id"]) == ("session", None, session["id"])
    assert reset.event == "reset"


async def test_disconnected_subscribers_are_cleaned_up(
    bases: tuple[str, str], tokens: Tokens
) -> None:
    base = bases[1]
    async with (
        subscribe(base, "/v1/live/events", tokens()),
        subscribe(base, "/v1/live/events", tokens("member-2")),
    ):
        wait_for(lambda: subscribers(base) == 2)
    wait_for(lambda: subscribers(base) == 0)
