"""Keyset pagination of the session lists (SPEC §4): limits, cursors, walking to the end."""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database
from tests.support.auth import Tokens
from tests.support.sessions import (
    ADMIN,
    LIVE,
    at,
    in_list_order,
    insert_rows,
    list_page,
    session_row,
)

START = at("2030-05-01T08:00:00.123456+00:00")
STATUSES = ("scheduled", "live", "ended", "cancelled")
BetweenPages = Callable[[Mapping[str, Any]], Awaitable[None]]


def crowded_rows(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Many sessions sharing a few instants, so that page edges fall inside runs of ties; ids
    come from a seeded generator so that every run puts the edges in the same places."""
    rng = random.Random(seed)
    return [
        session_row(
            f"row {n}",
            START + timedelta(minutes=n % 23, microseconds=(n % 2) * 7),
            status=STATUSES[n % 4],
            kind="office_hours" if n % 5 == 0 else "live",
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
        )
        for n in range(count)
    ]


async def walk(
    client: httpx.AsyncClient,
    headers: Mapping[str, str],
    params: Mapping[str, str | int] | None = None,
    path: str = LIVE,
    between_pages: BetweenPages | None = None,
) -> list[list[dict[str, Any]]]:
    """Every page of a listing, following next_cursor until it is null."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while len(pages) < 500:
        query = {**(params or {}), **({"cursor": cursor} if cursor else {})}
        body = await list_page(client, headers, path, **query)
        pages.append(body["sessions"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert body["sessions"], "an empty page must not carry a cursor"
        if between_pages is not None:
            await between_pages(body["sessions"][-1])
    raise AssertionError("pagination did not end")


def ties_split(pages: list[list[dict[str, Any]]]) -> int:
    """How many page edges fall between two sessions scheduled at the same instant."""
    return sum(a[-1]["scheduled_at"] == b[0]["scheduled_at"] for a, b in itertools.pairwise(pages))


def flat(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [session["id"] for page in pages for session in page]


async def test_default_page_holds_twenty_and_the_next_page_the_rest(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    rows = crowded_rows(25)
    await insert_rows(db, "sessions", rows)
    pages = await walk(client, tokens())
    assert [len(page) for page in pages] == [20, 5]
    assert flat(pages) == in_list_order(rows)


@pytest.mark.parametrize(("limit", "sizes"), [(1, [1, 1, 1]), (2, [2, 1]), (3, [3]), (100, [3])])
async def test_limit_sets_the_page_size_and_the_last_page_has_no_cursor(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, limit: int, sizes: list[int]
) -> None:
    rows = crowded_rows(3)
    await insert_rows(db, "sessions", rows)
    pages = await walk(client, tokens(), {"limit": limit})
    assert [len(page) for page in pages] == sizes
    assert flat(pages) == in_list_order(rows)


async def test_empty_listing_is_one_page_without_cursor(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = await list_page(client, tokens())
    assert body == {"sessions": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("limit", "params"),
    [(7, {}), (100, {}), (11, {"status": "scheduled,live"}), (9, {"kind": "office_hours"})],
)
async def test_walking_every_page_returns_each_session_once_in_order(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    limit: int,
    params: dict[str, str],
) -> None:
    rows = crowded_rows(300)
    await insert_rows(db, "sessions", rows)
    pages = await walk(client, tokens(), {"limit": limit, **params})
    statuses = params.get("status", ",".join(STATUSES)).split(",")
    kinds = params.get("kind", "live,office_hours").split(",")
    matching = [r for r in rows if r["status"] in statuses and r["kind"] in kinds]
    assert flat(pages) == in_list_order(matching)
    assert ties_split(pages) > 0, "no page edge fell inside a run of equal scheduled_at"
    assert all(len(page) == limit for page in pages[:-1])
    assert 0 < len(pages[-1]) <= limit


def position(session: Mapping[str, Any]) -> tuple[datetime, str]:
    return datetime.fromisoformat(session["scheduled_at"]), session["id"]


async def test_sessions_added_after_the_cursor_show_up_once_and_earlier_ones_never(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    rows = crowded_rows(60)
    await insert_rows(db, "sessions", rows)
    expected = {str(row["id"]) for row in rows}
    behind: set[str] = set()

    async def add_around(last: Mapping[str, Any]) -> None:
        last_at, last_id = position(last)
        ahead = session_row("ahead", last_at + timedelta(seconds=1))
        tie = session_row("tie", last_at)
        back = session_row("behind", last_at - timedelta(seconds=1))
        await insert_rows(db, "sessions", [ahead, tie, back])
        expected.add(str(ahead["id"]))
        (expected if str(tie["id"]) > last_id else behind).add(str(tie["id"]))
        behind.add(str(back["id"]))

    pages = await walk(client, tokens(), {"limit": 10}, between_pages=add_around)
    seen = flat(pages)
    assert len(seen) == len(set(seen)), "a session was returned twice"
    assert set(seen) == expected
    assert not behind & set(seen)
    positions = [position(session) for page in pages for session in page]
    assert positions == sorted(positions)


async def test_admin_list_pages_through_every_status_of_the_brand(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    rows = crowded_rows(25)
    await insert_rows(db, "sessions", [*rows, session_row("elsewhere", START, brand_id="brand-b")])
    pages = await walk(client, tokens.admin(), {"limit": 10}, ADMIN)
    assert [len(page) for page in pages] == [10, 10, 5]
    assert flat(pages) == in_list_order(rows)


async def test_admin_list_pages_through_a_status_filter(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    rows = crowded_rows(40)
    await insert_rows(db, "sessions", rows)
    pages = await walk(
        client, tokens.admin(), {"limit": 4, "status": "cancelled", "kind": "live"}, ADMIN
    )
    wanted = [r for r in rows if r["status"] == "cancelled" and r["kind"] == "live"]
    assert flat(pages) == in_list_order(wanted)
    assert len(pages) > 1
