"""Capacity under concurrency (SPEC §5): with N seats and M > N simultaneous registrations,
exactly N end `registered` — in one process, and across two `loop-live serve` processes
sharing one PostgreSQL database (one process on SQLite, which has a single writer)."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import AsyncExitStack, ExitStack
from itertools import cycle
from pathlib import Path
from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database
from loop_live.platform.settings import Settings
from tests.support.app import in_loop_client
from tests.support.auth import Tokens
from tests.support.registrations import admin_registrations, statuses
from tests.support.servers import server_env, serving
from tests.support.sessions import session_view

SEATS = 7
CROWD = tuple(f"member-{n:02d}" for n in range(40))


async def stampede(
    clients: list[httpx.AsyncClient], tokens: Tokens, session_id: str
) -> Counter[tuple[int, str]]:
    """Every member of the crowd registers at once, spread over `clients` in turn."""
    url = f"/v1/sessions/{session_id}/registrations"
    responses = await asyncio.gather(
        *(c.post(url, headers=tokens(user)) for c, user in zip(cycle(clients), CROWD))
    )
    return Counter((r.status_code, r.json().get("status", r.text)) for r in responses)


async def assert_seats_held(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, session_id: str
) -> None:
    """The table, the session's counters and the admin view all tell the same story."""
    table = await statuses(db, session_id)
    assert (len(table["registered"]), len(table["waitlist"])) == (SEATS, len(CROWD) - SEATS)
    assert sorted(table["registered"] + table["waitlist"]) == sorted(CROWD)
    view = await session_view(client, tokens, session_id)
    assert (view["registered_count"], view["waitlist_count"]) == (SEATS, len(CROWD) - SEATS)
    for status, count in (("registered", SEATS), ("waitlist", len(CROWD) - SEATS)):
        response = await admin_registrations(client, tokens, session_id, status=status)
        assert response.json()["total"] == count


def expected_outcome() -> Counter[tuple[int, str]]:
    return Counter({(201, "registered"): SEATS, (201, "waitlist"): len(CROWD) - SEATS})


async def test_simultaneous_registrations_in_one_process_fill_exactly_the_seats(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database, settings: Settings
) -> None:
    session = await new_session(max_participants=SEATS)
    async with in_loop_client(settings) as concurrent:
        assert await stampede([concurrent], tokens, session["id"]) == expected_outcome()
    await assert_seats_held(client, tokens, db, session["id"])


async def test_simultaneous_named_registrations_refuse_beyond_the_seats(
    tokens: Tokens, new_session: Any, db: Database, settings: Settings
) -> None:
    session = await new_session(max_participants=SEATS)
    url = f"/v1/sessions/{session['id']}/register"
    async with in_loop_client(settings) as concurrent:
        responses = await asyncio.gather(
            *(concurrent.post(url, json={"patient_id": user}, headers=tokens.admin())
              for user in CROWD)
        )  # fmt: skip
    outcome = Counter(
        (r.status_code, r.json().get("status", r.json().get("error"))) for r in responses
    )
    assert outcome == Counter(
        {(201, "registered"): SEATS, (412, "at_capacity"): len(CROWD) - SEATS}
    )
    assert len((await statuses(db, session["id"]))["registered"]) == SEATS


@pytest.mark.e2e
async def test_simultaneous_registrations_across_server_processes_fill_exactly_the_seats(
    client: httpx.AsyncClient,
    tokens: Tokens,
    new_session: Any,
    db: Database,
    database_url: str,
    tmp_path: Path,
) -> None:
    session = await new_session(max_participants=SEATS)
    processes = 1 if database_url.startswith("sqlite") else 2
    env = server_env(database_url)
    with ExitStack() as servers:
        bases = [
            servers.enter_context(serving(env, tmp_path / f"serve-{n}.log"))
            for n in range(processes)
        ]
        async with AsyncExitStack() as clients:
            http = [
                await clients.enter_async_context(httpx.AsyncClient(base_url=base, timeout=30))
                for base in bases
            ]
            outcome = await stampede(http, tokens, session["id"])
    assert outcome == expected_outcome()
    await assert_seats_held(client, tokens, db, session["id"])
