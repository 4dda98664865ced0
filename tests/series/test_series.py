"""Series (SPEC §13): wall-clock across DST, gap and overlap times, COUNT/UNTIL/BYDAY, edits of
one / following / all, cancelling, the horizon the worker extends, caps and bad rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from loop_live.platform.db import Database
from loop_live.platform.settings import Settings
from loop_live.worker import JOBS, WorkerContext, run_jobs
from tests.support.auth import BRAND, Tokens
from tests.support.journal import journal
from tests.support.registrations import enrol, statuses


def series_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "host_id": "host-1",
        "brand_id": BRAND,
        "title": "Office hours",
        "scheduled_at": "2030-03-19T17:00:00+00:00",
        "max_participants": 10,
        "rrule": "FREQ=WEEKLY;COUNT=4",
        "timezone": "Europe/Berlin",
    }
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, tokens: Tokens, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/series", json=series_body(**overrides), headers=tokens.admin()
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def occurrences(
    client: httpx.AsyncClient, tokens: Tokens, series_id: str
) -> list[dict[str, Any]]:
    response = await client.get("/v1/live/sessions", params={"limit": 100}, headers=tokens.admin())
    assert response.status_code == 200, response.text
    return [s for s in response.json()["sessions"] if s["series_id"] == series_id]


def local(session: dict[str, Any], zone: str) -> str:
    instant = datetime.fromisoformat(session["scheduled_at"])
    return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("zone", "first", "expected"),
    [
        # spring forward (last Sunday of March), then fall back (last Sunday of October)
        ("Europe/Berlin", "2030-03-19T17:00:00+00:00",
         ["2030-03-19 18:00", "2030-03-26 18:00", "2030-04-02 18:00", "2030-04-09 18:00"]),
        ("Europe/Berlin", "2030-10-15T16:00:00+00:00",
         ["2030-10-15 18:00", "2030-10-22 18:00", "2030-10-29 18:00", "2030-11-05 18:00"]),
        ("America/New_York", "2030-03-05T23:00:00+00:00",
         ["2030-03-05 18:00", "2030-03-12 18:00", "2030-03-19 18:00", "2030-03-26 18:00"]),
        ("America/New_York", "2030-10-29T22:00:00+00:00",
         ["2030-10-29 18:00", "2030-11-05 18:00", "2030-11-12 18:00", "2030-11-19 18:00"]),
    ],
)  # fmt: skip
async def test_weekly_18_00_stays_18_00_local_across_dst(
    client: httpx.AsyncClient, tokens: Tokens, zone: str, first: str, expected: list[str]
) -> None:
    series = await create(client, tokens, timezone=zone, scheduled_at=first)
    found = await occurrences(client, tokens, series["id"])
    assert [local(s, zone) for s in found] == expected
    utc_hours = {datetime.fromisoformat(s["scheduled_at"]).astimezone(UTC).hour for s in found}
    assert len(utc_hours) == 2  # the UTC time moved by an hour; the local time did not


async def test_a_time_in_the_spring_gap_moves_forward_by_the_gap(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    # 02:30 daily; 2030-03-31 02:30 does not exist in Berlin: RFC 5545 reads it as 03:30 CEST.
    series = await create(
        client, tokens, scheduled_at="2030-03-30T01:30:00+00:00", rrule="FREQ=DAILY;COUNT=3",
        duration_minutes=30,
    )  # fmt: skip
    found = await occurrences(client, tokens, series["id"])
    assert [s["scheduled_at"] for s in found] == [
        "2030-03-30T01:30:00Z", "2030-03-31T01:30:00Z", "2030-04-01T00:30:00Z"
    ]  # fmt: skip
    assert [local(s, "Europe/Berlin") for s in found][1] == "2030-03-31 03:30"


async def test_a_doubled_fall_back_time_is_the_first_of_the_two(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    series = await create(
        client, tokens, scheduled_at="2030-10-26T00:30:00+00:00", rrule="FREQ=DAILY;COUNT=3",
        duration_minutes=30,
    )  # fmt: skip
    found = await occurrences(client, tokens, series["id"])
    # 2030-10-27 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET): the first one
    assert [s["scheduled_at"] for s in found] == [
        "2030-10-26T00:30:00Z", "2030-10-27T00:30:00Z", "2030-10-28T01:30:00Z"
    ]  # fmt: skip


async def test_until_and_byday_with_several_days(client: httpx.AsyncClient, tokens: Tokens) -> None:
    series = await create(
        client, tokens, scheduled_at="2030-03-04T17:00:00+00:00",
        rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20300313T000000Z",
    )  # fmt: skip
    found = await occurrences(client, tokens, series["id"])
    assert [local(s, "Europe/Berlin")[:10] for s in found] == [
        "2030-03-04", "2030-03-06", "2030-03-08", "2030-03-11"
    ]  # fmt: skip


async def test_edit_one_then_the_series_keeps_the_detached_change(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    series = await create(client, tokens)
    second = (await occurrences(client, tokens, series["id"]))[1]
    moved = await client.patch(
        f"/v1/sessions/{second['id']}",
        json={"scheduled_at": "2030-03-27T17:00:00+00:00", "title": "Special"},
        headers=tokens.admin(),
    )
    assert moved.status_code == 200, moved.text
    edited = await client.patch(
        f"/v1/series/{series['id']}", json={"title": "Renamed"}, headers=tokens.admin()
    )
    assert edited.status_code == 200, edited.text
    found = await occurrences(client, tokens, series["id"])
    assert [s["title"] for s in found] == ["Renamed", "Special", "Renamed", "Renamed"]
    assert found[1]["scheduled_at"] == "2030-03-27T17:00:00Z"


async def test_this_and_following_splits_the_series(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    series = await create(client, tokens)
    third = (await occurrences(client, tokens, series["id"]))[2]
    response = await client.patch(
        f"/v1/series/{series['id']}",
        json={"from_session_id": third["id"], "scheduled_at": "2030-04-02T17:00:00+00:00"},
        headers=tokens.admin(),
    )
    assert response.status_code == 200, response.text
    tail = response.json()
    assert tail["id"] != series["id"]
    assert tail["rrule"].startswith("FREQ=WEEKLY;UNTIL=")
    head = await occurrences(client, tokens, series["id"])
    moved = await occurrences(client, tokens, tail["id"])
    assert [local(s, "Europe/Berlin") for s in head] == ["2030-03-19 18:00", "2030-03-26 18:00"]
    assert [local(s, "Europe/Berlin") for s in moved] == ["2030-04-02 19:00", "2030-04-09 19:00"]
    assert moved[0]["id"] == third["id"]  # the same session, re-timed: registrations stay


async def test_cancel_one_and_cancel_the_series(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    series = await create(client, tokens)
    found = await occurrences(client, tokens, series["id"])
    await enrol(client, tokens, found[2]["id"], "member-1")
    one = await client.delete(
        f"/v1/series/{series['id']}/occurrences/{found[0]['id']}", headers=tokens.admin()
    )
    assert one.status_code == 200
    assert one.json()["status"] == "cancelled"
    before = await journal(db)
    gone = await client.delete(f"/v1/series/{series['id']}", headers=tokens.admin())
    assert gone.status_code == 200
    assert gone.json()["status"] == "cancelled"
    after = await occurrences(client, tokens, series["id"])
    assert [s["status"] for s in after] == ["cancelled"] * 4
    assert await statuses(db, found[2]["id"]) == {
        "registered": [], "waitlist": [], "cancelled": ["member-1"]
    }  # fmt: skip
    events = [e for e, _ in (await journal(db)).since(before).events]
    assert events.count("live.session.cancelled.v1") == 3
    assert "live.registration.cancelled.v1" in events


async def test_cancelling_the_series_leaves_the_past(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=8)
    series = await create(
        client, tokens, scheduled_at=start.isoformat(), rrule="FREQ=WEEKLY;COUNT=4"
    )
    await client.delete(f"/v1/series/{series['id']}", headers=tokens.admin())
    found = await occurrences(client, tokens, series["id"])
    assert [s["status"] for s in found] == ["scheduled", "scheduled", "cancelled", "cancelled"]


async def test_the_worker_extends_the_horizon(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, settings: Settings
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    series = await create(client, tokens, scheduled_at=start.isoformat(), rrule="FREQ=WEEKLY")
    assert len(await occurrences(client, tokens, series["id"])) == 13  # 90 days
    later = start + timedelta(days=28)
    async with httpx.AsyncClient() as http:
        ctx = WorkerContext(db, settings, http, now=lambda: later)
        await run_jobs(ctx, JOBS, raise_errors=True)
        await run_jobs(ctx, JOBS, raise_errors=True)  # a second pass makes nothing twice
    assert len(await occurrences(client, tokens, series["id"])) == 17


@pytest.mark.parametrize(
    ("rule", "extra"),
    [
        ("FREQ=DAILY;COUNT=501", {}),
        ("FREQ=HOURLY;COUNT=3", {}),
        # a day-long daily session overlaps the next one on the 23-hour spring-forward day
        ("FREQ=DAILY;COUNT=20", {"duration_minutes": 1440}),
        ("FREQ=WEEKLY;BYDAY=XX", {}),
        ("NOT A RULE", {}),
        ("FREQ=WEEKLY;COUNT=3\nDTSTART:20300101T000000Z", {}),
        ("FREQ=DAILY;INTERVAL=1;BYHOUR=1,2,3", {}),
        ("FREQ=WEEKLY;UNTIL=20200101T000000Z", {}),
        # rules no date satisfies, which dateutil would search to the year 9999 for
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", {}),
        ("FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15", {}),
        ("FREQ=MONTHLY;BYDAY=+6MO", {}),
        ("FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1", {}),
        ("FREQ=WEEKLY;COUNT=3", {"timezone": "Mars/Olympus"}),
    ],
)
async def test_caps_and_bad_rules_are_400(
    client: httpx.AsyncClient, tokens: Tokens, rule: str, extra: dict[str, Any]
) -> None:
    body = series_body(rrule=rule, **extra)
    response = await client.post("/v1/series", json=body, headers=tokens.admin())
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"
