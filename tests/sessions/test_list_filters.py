"""GET /v1/live/sessions and GET /v1/admin/sessions: what each filter keeps (SPEC §4).

Rows are inserted straight into the tables so that statuses and times the API would never
accept from a client (live, ended, the past) can be listed. Every 200 body is checked against
the seed's schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from loop_live.platform.clock import utcnow
from loop_live.platform.db import Database
from tests.support.auth import BRAND, OTHER_BRAND, Tokens
from tests.support.contract import (
    LIST_SESSIONS,
    contract_schemas,
    seed_page_schemas,
    seeded_endpoints,
)
from tests.support.sessions import (
    ADMIN,
    at,
    in_list_order,
    insert_rows,
    list_page,
    registration_row,
    session_row,
    titles,
)


def test_contract_file_repeats_the_seed_pages_schemas() -> None:
    seeds = seeded_endpoints()
    assert set(seeds) == {LIST_SESSIONS, "PATCH /v1/admin/sessions/{id}"}
    for endpoint, page in seeds.items():
        printed = seed_page_schemas(page)
        assert "200" in printed, page
        assert contract_schemas(endpoint) == printed, endpoint


# A small catalogue in each brand: brand-b holds a twin of every brand-a row, so a filter that
# forgot the brand would show a "b-" title.
CATALOGUE: dict[str, dict[str, Any]] = {
    "yoga": {"category": "fitness", "community_slug": "runners"},
    "sleep": {"kind": "office_hours", "category": "sleep", "host_id": "host-2",
              "community_slug": "sleepers"},
    "strength": {"category": "Fitness", "host_id": "host-2", "status": "cancelled"},
    "qa": {"kind": "office_hours", "category": "fitness", "community_slug": "runners",
           "status": "ended"},
    "on-air": {"host_id": "host-3", "community_slug": "sleepers", "status": "live"},
}  # fmt: skip
EVERY_TITLE = list(CATALOGUE)


async def insert_catalogue(db: Database) -> None:
    start = at("2030-03-10T12:00:00+00:00")
    rows = [
        session_row(prefix + title, start + timedelta(hours=hour), brand_id=brand, **fields)
        for brand, prefix in ((BRAND, ""), (OTHER_BRAND, "b-"))
        for hour, (title, fields) in enumerate(CATALOGUE.items())
    ]
    await insert_rows(db, "sessions", rows)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, EVERY_TITLE),
        ({"brand_id": BRAND}, EVERY_TITLE),
        ({"category": "fitness"}, ["yoga", "qa"]),
        ({"category": "fit"}, []),
        ({"kind": "office_hours"}, ["sleep", "qa"]),
        ({"kind": "live"}, ["yoga", "strength", "on-air"]),
        ({"host_id": "host-2"}, ["sleep", "strength"]),
        ({"host_user_id": "host-2"}, ["sleep", "strength"]),
        ({"host_id": "host-1", "host_user_id": "host-1"}, ["yoga", "qa"]),
        ({"community_id": "runners"}, ["yoga", "qa"]),
        ({"community_id": "sleepers"}, ["sleep", "on-air"]),
        ({"status": "cancelled"}, ["strength"]),
        ({"status": "live,ended"}, ["qa", "on-air"]),
        ({"status": "scheduled,live,ended,cancelled"}, EVERY_TITLE),
        ({"kind": "live", "status": "scheduled,cancelled", "host_id": "host-1"}, ["yoga"]),
    ],
)
async def test_each_filter_keeps_only_matching_sessions_of_the_callers_brand(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    params: dict[str, str],
    expected: list[str],
) -> None:
    await insert_catalogue(db)
    assert titles(await list_page(client, tokens(), **params)) == expected


@pytest.mark.parametrize(
    "brand_headers",
    [{"X-Brand-Id": OTHER_BRAND}, {}],
    ids=["x-brand-id-header", "brand_id-parameter"],
)
async def test_service_token_lists_only_the_brand_it_names(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, brand_headers: dict[str, str]
) -> None:
    await insert_catalogue(db)
    headers = {**tokens("svc-1", "read:live", brand=None), **brand_headers}
    params = {} if brand_headers else {"brand_id": OTHER_BRAND}
    body = await list_page(client, headers, status="live,ended", **params)
    assert titles(body) == ["b-qa", "b-on-air"]


# Instants around the March and April 2030 boundaries in UTC and in New York (UTC-5 until the
# DST switch on 10 March, UTC-4 after it), plus the year end.
MONTH_EDGES = {
    "a": "2030-02-28T23:59:59.999999+00:00",
    "b": "2030-03-01T00:00:00+00:00",
    "c": "2030-03-01T04:59:59+00:00",
    "d": "2030-03-01T05:00:00+00:00",
    "e": "2030-03-31T23:59:59.999999+00:00",
    "f": "2030-04-01T03:59:59+00:00",
    "g": "2030-04-01T04:00:00+00:00",
    "h": "2030-12-31T23:59:59+00:00",
    "i": "2031-01-01T00:00:00+00:00",
}


@pytest.mark.parametrize(
    ("month", "tz", "expected"),
    [
        ("2030-03", None, "bcde"),
        ("2030-03", "UTC", "bcde"),
        ("2030-04", None, "fg"),
        ("2030-03", "America/New_York", "def"),
        ("2030-02", "America/New_York", "abc"),
        ("2030-03", "Asia/Tokyo", "abcd"),
        ("2030-12", None, "h"),
        ("2031-01", None, "i"),
        ("2030-12", "America/New_York", "hi"),
        ("2029-03", None, ""),
    ],
)
async def test_month_keeps_sessions_scheduled_in_that_calendar_month(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    month: str,
    tz: str | None,
    expected: str,
) -> None:
    rows = [session_row(name, at(when)) for name, when in MONTH_EDGES.items()]
    await insert_rows(db, "sessions", rows)
    params = {"month": month} if tz is None else {"month": month, "tz": tz}
    assert "".join(titles(await list_page(client, tokens(), **params))) == expected


async def insert_around_now(db: Database) -> tuple[list[str], list[str]]:
    """Sessions on both sides of "over"; returns (titles still open, every title) in order."""
    # title, minutes from now (in list order), column overrides, still open?
    cases: list[tuple[str, int, dict[str, Any], bool]] = [
        ("on-air", -180, {"status": "live", "duration_minutes": 30}, True),
        ("long-running", -80, {"duration_minutes": 120}, True),
        ("overran-default-hour", -75, {}, False),
        ("short-and-done", -50, {"duration_minutes": 20}, False),
        ("within-default-hour", -45, {}, True),
        ("ended-early", -40, {"status": "ended"}, False),
        ("tomorrow", 24 * 60, {}, True),
        ("called-off", 25 * 60, {"status": "cancelled"}, False),
    ]
    now = utcnow()
    rows = [session_row(t, now + timedelta(minutes=m), **o) for t, m, o, _ in cases]
    await insert_rows(db, "sessions", rows)
    return [t for t, _, _, is_open in cases if is_open], [t for t, *_ in cases]


@pytest.mark.parametrize(
    ("params", "only_open"),
    [
        ({"upcoming": "true"}, True),
        ({"upcoming": "1"}, True),
        ({"upcoming_only": "true"}, True),
        ({"upcoming_only": "1"}, True),
        ({"upcoming": "1", "upcoming_only": "true"}, True),
        ({"upcoming": "false"}, False),
        ({"upcoming": "0"}, False),
        ({"upcoming_only": "false"}, False),
        ({"upcoming_only": "0"}, False),
        ({}, False),
    ],
)
async def test_upcoming_keeps_live_sessions_and_scheduled_ones_not_yet_over(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    params: dict[str, str],
    only_open: bool,
) -> None:
    still_open, everything = await insert_around_now(db)
    body = await list_page(client, tokens(), **params)
    assert titles(body) == (still_open if only_open else everything)


async def test_upcoming_combines_with_other_filters(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    await insert_around_now(db)
    body = await list_page(client, tokens(), upcoming="true", status="scheduled")
    assert titles(body) == ["long-running", "within-default-hour", "tomorrow"]


async def test_upcoming_applies_the_default_hour_to_sessions_created_through_the_api(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    now = utcnow()
    for title, minutes, duration in [("over", -75, None), ("open", -45, None), ("long", -80, 90)]:
        when = (now + timedelta(minutes=minutes)).isoformat()
        await new_session(title=title, scheduled_at=when, duration_minutes=duration)
    body = await list_page(client, tokens(), upcoming="true")
    assert titles(body) == ["long", "open"]


async def test_registered_count_and_is_registered_reflect_registered_rows_only(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    start = at("2030-06-01T09:00:00+00:00")
    full = session_row("full", start, registered_count=2, waitlist_count=1)
    mixed = session_row("mixed", start + timedelta(hours=1), registered_count=1)
    waiting = session_row("waiting", start + timedelta(hours=2), waitlist_count=1)
    await insert_rows(db, "sessions", [full, mixed, waiting])
    await insert_rows(db, "registrations", [
        registration_row(full, "registered", user_id="member-1"),
        registration_row(full, "registered", user_id="member-2"),
        registration_row(full, "waitlist", user_id="member-3"),
        registration_row(mixed, "cancelled", user_id="member-1"),
        registration_row(mixed, "registered", guest="Member-1@Example.com"),
        registration_row(waiting, "waitlist", user_id="member-1"),
    ])  # fmt: skip

    async def seen_by(user: str) -> list[tuple[str, int, bool]]:
        body = await list_page(client, tokens(user))
        return [(s["title"], s["registered_count"], s["is_registered"]) for s in body["sessions"]]

    assert await seen_by("member-1") == [("full", 2, True), ("mixed", 1, False),
                                         ("waiting", 0, False)]  # fmt: skip
    assert await seen_by("member-3") == [("full", 2, False), ("mixed", 1, False),
                                         ("waiting", 0, False)]  # fmt: skip


async def test_sessions_come_in_scheduled_order_with_ties_broken_by_id(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    early, late = at("2030-01-01T08:00:00+00:00"), at("2030-01-01T09:00:00+00:00")
    rows = [session_row(f"s{n}", late if n % 2 else early) for n in range(12)]
    await insert_rows(db, "sessions", rows)
    body = await list_page(client, tokens())
    assert [s["id"] for s in body["sessions"]] == in_list_order(rows)


async def test_api_created_session_is_listed_in_the_contracts_shape(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    created = await new_session(category="sleep", community_slug="sleepers", duration_minutes=45)
    body = await list_page(client, tokens(), category="sleep", community_id="sleepers")
    assert body["sessions"] == [created]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "cancelled"}, ["strength"]),
        ({"status": "ended,live"}, ["qa", "on-air"]),
        ({"kind": "office_hours"}, ["sleep", "qa"]),
        ({"kind": "live", "status": "scheduled"}, ["yoga"]),
        ({"brand_id": BRAND}, EVERY_TITLE),
    ],
)
async def test_admin_list_filters_by_status_and_kind_within_the_brand(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    params: dict[str, str],
    expected: list[str],
) -> None:
    await insert_catalogue(db)
    assert titles(await list_page(client, tokens.admin(), ADMIN, **params)) == expected
