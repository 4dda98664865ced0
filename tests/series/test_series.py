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
from loop_live.worker import WorkerContext, run_jobs
from tests.conftest import BRAND, Tokens
from tests.registrations import enrol, journal, statuses


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
    response = await client.post("/v1/series", json=series_body(**overrides), headers=tokens.admin())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def occurrences(
    client: httpx.AsyncClient, tokens: Tokens, series_id: str
) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/live/sessions", params={"limit": 100}, headers=tokens.admin()
    )
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
