"""ICS (SPEC §13): every feed parsed with `icalendar` and expanded with
`recurring-ical-events`: stable UIDs, SEQUENCE after a reschedule, CANCELLED after a cancel,
UTC times, 304 on If-None-Match, revoked feeds 404, nobody else's feed readable, and an
address that says nothing about its owner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import recurring_ical_events
from icalendar import Calendar

from loop_live.platform.db import Database, Sql
from tests.support.auth import BRAND, OTHER_BRAND, Tokens
from tests.support.registrations import enrol

WHEN = "2031-02-10T18:00:00+00:00"


async def new_feed(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, value: str | None = None
) -> dict[str, Any]:
    body = {"kind": kind} if value is None else {"kind": kind, "value": value}
    response = await client.post("/v1/calendar/feeds", json=body, headers=headers)
    assert response.status_code == 201, response.text
    feed: dict[str, Any] = response.json()
    return feed


async def read(client: httpx.AsyncClient, url: str, **headers: str) -> httpx.Response:
    path = httpx.URL(url).path
    return await client.get(path, headers=headers)


def events(body: bytes) -> dict[str, Any]:
    """UID → event, after expanding the calendar over years like a calendar app would."""
    calendar = Calendar.from_ical(body)
    expanded = recurring_ical_events.of(calendar).between(
        datetime(2020, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC)
    )
    return {str(e["UID"]): e for e in expanded}


async def test_a_feed_follows_reschedules_and_cancellations(
    new_session: Callable[..., Any], client: httpx.AsyncClient, tokens: Tokens
) -> None:
    kept = await new_session(scheduled_at=WHEN, title="Yoga")
    dropped = await new_session(scheduled_at=WHEN, title="Pilates")
    feed = await new_feed(client, tokens("member-1"), "brand")
    first = await read(client, feed["url"])
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("text/calendar")
    before = events(first.content)
    uid = f"{kept['id']}@loop-live"
    assert set(before) == {uid, f"{dropped['id']}@loop-live"}
    assert before[uid]["SEQUENCE"] == 0
    assert str(before[uid]["STATUS"]) == "CONFIRMED"
    assert before[uid]["DTSTART"].dt == datetime(2031, 2, 10, 18, 0, tzinfo=UTC)
    assert {"DTSTAMP", "LAST-MODIFIED", "URL"} <= set(before[uid])

    unchanged = await read(client, feed["url"], **{"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304
    assert unchanged.content == b""

    admin = tokens.admin()
    moved = await client.patch(
        f"/v1/sessions/{kept['id']}", json={"scheduled_at": "2031-02-11T18:00:00Z"}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    cancel = await client.patch(
        f"/v1/admin/sessions/{dropped['id']}", json={"status": "cancelled"}, headers=admin
    )
    assert cancel.status_code == 200, cancel.text
    second = await read(client, feed["url"], **{"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert second.headers["etag"] != first.headers["etag"]
    after = events(second.content)
    assert set(after) == set(before)  # UIDs stable
    assert after[uid]["SEQUENCE"] == 1
    assert after[uid]["DTSTART"].dt == datetime(2031, 2, 11, 18, 0, tzinfo=UTC)
    gone = after[f"{dropped['id']}@loop-live"]
    assert str(gone["STATUS"]) == "CANCELLED"
    assert gone["SEQUENCE"] == 1


async def test_feeds_of_each_kind_show_their_sessions(
    new_session: Callable[..., Any], client: httpx.AsyncClient, tokens: Tokens
) -> None:
    a = await new_session(scheduled_at=WHEN, host_id="host-1", community_slug="runners")
    b = await new_session(scheduled_at=WHEN, host_id="host-2")
    await enrol(client, tokens, b["id"], "member-1")
    me = tokens("member-1")
    expected = {
        ("host", "host-1"): {a["id"]},
        ("community", "runners"): {a["id"]},
        ("mine", None): {b["id"]},
        ("brand", None): {a["id"], b["id"]},
    }
    for (kind, value), ids in expected.items():
        feed = await new_feed(client, me, kind, value)
        body = (await read(client, feed["url"])).content
        assert set(events(body)) == {f"{i}@loop-live" for i in ids}, kind


async def test_revoked_feeds_and_other_peoples_feeds(
    new_session: Callable[..., Any], client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    await new_session(scheduled_at=WHEN)
    mine = await new_feed(client, tokens("member-1"), "mine")
    theirs = await new_feed(client, tokens("member-2"), "mine")
    other_brand = await new_feed(client, tokens("member-1", brand=OTHER_BRAND), "brand")
    listed = await client.get("/v1/calendar/feeds", headers=tokens("member-1"))
    assert [f["id"] for f in listed.json()["feeds"]] == [mine["id"]]
    assert "url" not in listed.json()["feeds"][0]
    # someone else cannot revoke a feed, nor can the owner from another brand
    for headers in (tokens("member-2"), tokens("member-1", brand=OTHER_BRAND)):
        refused = await client.delete(f"/v1/calendar/feeds/{mine['id']}", headers=headers)
        assert refused.status_code == 404
    revoked = await client.delete(f"/v1/calendar/feeds/{mine['id']}", headers=tokens("member-1"))
    assert revoked.status_code == 200, revoked.text
    assert (await read(client, mine["url"])).status_code == 404
    assert (await read(client, theirs["url"])).status_code == 200
    assert (await read(client, other_brand["url"])).status_code == 200
    for guess in ("/v1/calendar/feeds/" + mine["id"] + ".ics", "/v1/calendar/feeds/x"):
        assert (await client.get(guess)).status_code == 404
    # the address reveals nothing: no owner, brand, kind or id, and no stored token
    for feed in (mine, theirs, other_brand):
        token = httpx.URL(feed["url"]).path.rsplit("/", 1)[1]
        for secret in ("member-1", "member-2", BRAND, OTHER_BRAND, "mine", "brand", feed["id"]):
            assert secret not in token
        assert len(token) >= 43
    async with db.read() as conn:
        stored = await conn.fetch(Sql("SELECT token_hash FROM calendar_feeds"))
        keys = await conn.fetch(Sql("SELECT response_body FROM idempotency_keys"))
    token = httpx.URL(theirs["url"]).path.rsplit("/", 1)[1].removesuffix(".ics")
    assert all(token not in row["token_hash"] for row in stored)
    assert all(token.encode() not in bytes(row["response_body"]) for row in keys)


async def test_a_session_as_an_ics_file(
    new_session: Callable[..., Any], client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await new_session(scheduled_at=WHEN, description="Bring a mat")
    response = await client.get(f"/v1/sessions/{session['id']}/calendar.ics", headers=tokens())
    assert response.status_code == 200, response.text
    [event] = events(response.content).values()
    assert str(event["DESCRIPTION"]) == "Bring a mat"
    assert str(event["URL"]).endswith(session["id"])
    other = await client.get(
        f"/v1/sessions/{session['id']}/calendar.ics", headers=tokens(brand=OTHER_BRAND)
    )
    assert other.status_code == 404


async def test_bad_feed_requests_are_400(client: httpx.AsyncClient, tokens: Tokens) -> None:
    for body in ({"kind": "host"}, {"kind": "mine", "value": "x"}, {"kind": "everyone"}, {}):
        response = await client.post("/v1/calendar/feeds", json=body, headers=tokens())
        assert response.status_code == 400, (body, response.text)


async def test_a_series_in_a_feed_stays_18_00_local_across_dst(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {
        "host_id": "host-1", "brand_id": BRAND, "title": "Office hours", "max_participants": 5,
        "scheduled_at": "2030-10-15T16:00:00+00:00", "rrule": "FREQ=WEEKLY;COUNT=4",
        "timezone": "Europe/Berlin",
    }  # fmt: skip
    created = await client.post("/v1/series", json=body, headers=tokens.admin())
    assert created.status_code == 201, created.text
    feed = await new_feed(client, tokens(), "host", "host-1")
    found = events((await read(client, feed["url"])).content).values()
    berlin = ZoneInfo("Europe/Berlin")
    starts = sorted(e["DTSTART"].dt for e in found)
    assert [t.astimezone(berlin).strftime("%d %H:%M") for t in starts] == [
        "15 18:00", "22 18:00", "29 18:00", "05 18:00"
    ]  # fmt: skip
    assert all(t.utcoffset() == timedelta(0) for t in starts)  # written as UTC
