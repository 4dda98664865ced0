"""The ledger from provider webhooks: order-safe, deduplicated, exported as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import httpx

from loop_live.platform.db import Database, Sql
from tests.support.attendance import joined, left
from tests.support.auth import OTHER_BRAND, Tokens
from tests.support.providers import join, minutes_from_now
from tests.support.registrations import register
from tests.support.sessions import session_view
from tests.support.webhooks import T0, accepted, attach_call, ended, started

MEMBER, OTHER, ABSENT = "member-1", "member-2", "member-3"


async def live_session(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> tuple[str, str]:
    session = await new_session()
    for member in (MEMBER, OTHER, ABSENT):
        response = await client.post(
            f"/v1/sessions/{session['id']}/registrations", headers=tokens(member)
        )
        assert response.status_code == 201, response.text
    cid = await attach_call(db, session["id"])
    assert await accepted(client, started(cid, T0)) == "applied"
    return session["id"], cid


async def ledger(client: httpx.AsyncClient, tokens: Tokens, session_id: str) -> dict[str, Any]:
    response = await client.get(
        f"/v1/admin/sessions/{session_id}/attendance", headers=tokens.admin()
    )
    assert response.status_code == 200, response.text
    return {row["user_id"]: row for row in response.json()["attendees"]}


def at(minutes: int) -> Any:
    return T0 + timedelta(minutes=minutes)


async def test_a_join_and_leave_give_first_join_minutes_and_the_sessions_count(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await live_session(client, tokens, db, new_session)

    assert await accepted(client, joined(cid, MEMBER, "c1", at(2))) == "applied"
    assert await accepted(client, left(cid, MEMBER, "c1", at(2), at(32))) == "applied"

    row = (await ledger(client, tokens, session_id))[MEMBER]
    assert (row["joins"], row["minutes"], row["no_show"]) == (1, 30.0, False)
    assert row["first_joined_at"].startswith("2030-01-15T10:02:00")
    assert (await session_view(client, tokens, session_id))["attended_count"] == 1


async def test_out_of_order_repeated_and_triple_joins_count_once_each(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await live_session(client, tokens, db, new_session)
    deliveries = [
        left(cid, MEMBER, "c1", at(0), at(10)),  # its `joined` comes later
        joined(cid, MEMBER, "c1", at(0)),
        joined(cid, MEMBER, "c2", at(20)),
        left(cid, MEMBER, "c2", at(20), at(25)),
        joined(cid, MEMBER, "c3", at(40)),
        left(cid, MEMBER, "c3", at(40), at(45)),
    ]
    outcomes = [await accepted(client, event) for event in deliveries]
    repeat = await accepted(client, joined(cid, MEMBER, "c2", at(20)))  # a new delivery id
    same_delivery = await accepted(client, deliveries[0], webhook_id="fixed")
    again = await accepted(client, deliveries[0], webhook_id="fixed")

    assert outcomes == ["applied", "duplicate", "applied", "applied", "applied", "applied"]
    assert (repeat, same_delivery, again) == ("duplicate", "duplicate", "duplicate")
    row = (await ledger(client, tokens, session_id))[MEMBER]
    assert (row["joins"], row["minutes"]) == (3, 20.0)
    assert row["first_joined_at"].startswith("2030-01-15T10:00:00")
    assert row["last_left_at"].startswith("2030-01-15T10:45:00")


async def test_overlapping_devices_count_their_minutes_once(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await live_session(client, tokens, db, new_session)
    for event in (
        joined(cid, OTHER, "phone", at(0)),
        joined(cid, OTHER, "laptop", at(5)),
        left(cid, OTHER, "phone", at(0), at(20)),
        left(cid, OTHER, "laptop", at(5), at(30)),
    ):
        await accepted(client, event)
    assert (await ledger(client, tokens, session_id))[OTHER]["minutes"] == 30.0


async def test_an_ended_session_marks_no_shows_and_announces_the_ledger(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await live_session(client, tokens, db, new_session)
    await accepted(client, joined(cid, MEMBER, "c1", at(1)))  # never leaves: until the end

    before = await ledger(client, tokens, session_id)
    await accepted(client, ended(cid, at(61)))
    after = await ledger(client, tokens, session_id)

    assert not any(row["no_show"] for row in before.values())
    assert {user: row["no_show"] for user, row in after.items()} == {
        MEMBER: False,
        OTHER: True,
        ABSENT: True,
    }
    assert after[MEMBER]["minutes"] == 60.0
    payload = await recorded_payload(db, session_id)
    assert (payload["data"]["attended"], payload["data"]["no_show"]) == (1, 2)
    assert MEMBER not in str(payload)
    assert OTHER not in str(payload)


async def recorded_payload(db: Database, session_id: str) -> Any:
    async with db.read() as conn:
        raw = await conn.fetchval(
            Sql("SELECT payload FROM outbox_events WHERE aggregate_id = :id AND event_type = :t"),
            {"id": session_id, "t": "live.attendance.recorded.v1"},
        )
    assert raw is not None, "no live.attendance.recorded.v1"
    return json.loads(raw) if isinstance(raw, str) else raw


async def test_the_csv_export_has_a_header_utc_times_and_no_email(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await live_session(client, tokens, db, new_session)
    guest = await client.post(
        f"/v1/sessions/{session_id}/register",
        json={"guest_email": "guest.person@example.org"},
        headers=tokens.admin(),
    )
    assert guest.status_code == 201, guest.text
    await accepted(client, joined(cid, MEMBER, "c1", at(3)))

    response = await client.get(
        f"/v1/admin/sessions/{session_id}/attendance",
        headers={**tokens.admin(), "Accept": "text/csv"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0].keys() >= {"registration_id", "first_joined_at", "minutes", "no_show"}
    assert len(rows) == 4
    member = next(row for row in rows if row["user_id"] == MEMBER)
    assert member["first_joined_at"] == "2030-01-15 10:03:00"
    assert "example.org" not in response.text


async def test_only_the_hosts_or_managers_read_attendance_of_their_brand(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session(host_id="host-1")
    path = f"/v1/admin/sessions/{session['id']}/attendance"
    theirs = await new_session(brand_id=OTHER_BRAND)

    member = await client.get(path, headers=tokens(MEMBER))
    host = await client.get(path, headers=tokens("host-1"))
    other_brand = await client.get(
        f"/v1/admin/sessions/{theirs['id']}/attendance", headers=tokens.admin()
    )

    assert (member.status_code, member.json()["error"]) == (403, "forbidden")
    assert host.status_code == 200
    assert other_brand.status_code == 404


async def test_a_participant_event_without_a_participant_is_acknowledged_and_ignored(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await live_session(client, tokens, db, new_session)
    event = joined(cid, MEMBER, "c1", at(1))
    del event["participant"]["user_session_id"]
    assert await accepted(client, event) == "ignored"
    assert (await ledger(client, tokens, session_id))[MEMBER]["joins"] == 0


async def test_a_join_token_keeps_a_member_off_the_no_show_list(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5))
    for member in (MEMBER, OTHER):
        await register(client, session["id"], member)
    assert (await join(client, session["id"])).status_code == 200  # member-1's token

    counted = (await session_view(client, tokens, session["id"]))["attended_count"]
    cid = f"livestream:{session['id']}"
    await accepted(client, ended(cid, at(60)))
    rows = await ledger(client, tokens, session["id"])

    assert counted == 1
    assert rows[MEMBER]["token_issued_at"] is not None
    assert rows[MEMBER]["joins"] == 0
    assert (rows[MEMBER]["no_show"], rows[OTHER]["no_show"]) == (False, True)
