"""Provider events move the session (or ad-hoc call) named by their `call_cid` (SPEC §5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database
from tests.support.auth import Tokens
from tests.support.databases import count
from tests.support.journal import outbox_types
from tests.support.sessions import session_view
from tests.support.webhooks import (
    T0,
    accepted,
    attach_call,
    ended,
    instant,
    recording,
    started,
)

CREATED = "live.session.created.v1"
STARTED = "live.session.started.v1"
ENDED = "live.session.ended.v1"
RECORDING = "live.recording.ready.v1"
ATTENDANCE = "live.attendance.recorded.v1"  # right after ENDED, in the same transaction
VIDEO = "https://cdn.invalid/recordings/session.mp4"


async def session_with_call(new_session: Any, db: Database) -> tuple[str, str]:
    session = await new_session()
    return session["id"], await attach_call(db, session["id"])


async def test_session_started_makes_the_session_live_at_the_event_time(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await session_with_call(new_session, db)

    assert await accepted(client, started(cid, T0 + timedelta(minutes=2))) == "applied"

    view = await session_view(client, tokens, session_id)
    assert view["status"] == "live"
    assert instant(view["started_at"]) == T0 + timedelta(minutes=2)
    assert view["ended_at"] is None
    assert await outbox_types(db, session_id) == [CREATED, STARTED]


async def test_session_ended_ends_the_session_at_the_event_time(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await session_with_call(new_session, db)
    await accepted(client, started(cid, T0))

    await accepted(client, ended(cid, T0 + timedelta(minutes=55)))

    view = await session_view(client, tokens, session_id)
    assert view["status"] == "ended"
    assert (instant(view["started_at"]), instant(view["ended_at"])) == (
        T0,
        T0 + timedelta(minutes=55),
    )
    assert await outbox_types(db, session_id) == [CREATED, STARTED, ENDED, ATTENDANCE]


async def test_recording_ready_publishes_the_recording_url(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await session_with_call(new_session, db)
    await accepted(client, ended(cid))

    await accepted(client, recording(cid, VIDEO))

    view = await session_view(client, tokens, session_id)
    assert (view["status"], view["recording_url"]) == ("ended", VIDEO)
    assert await outbox_types(db, session_id) == [CREATED, ENDED, ATTENDANCE, RECORDING]


async def test_late_delivery_of_an_older_recording_changes_and_publishes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await session_with_call(new_session, db)
    newer = "https://cdn.invalid/recordings/second.mp4"
    await accepted(client, recording(cid, newer, T0 + timedelta(hours=3)))

    outcome = await accepted(client, recording(cid, VIDEO, T0 + timedelta(hours=2)))

    assert outcome == "ignored"
    assert (await session_view(client, tokens, session_id))["recording_url"] == newer
    assert await outbox_types(db, session_id) == [CREATED, RECORDING]


async def test_events_find_the_session_by_the_cid_its_first_join_stored(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    session = await new_session(scheduled_at=soon)
    join = await client.post(
        f"/v1/sessions/{session['id']}/join", json={"user_id": "host-1"}, headers=tokens("host-1")
    )
    assert join.status_code == 200, join.text
    cid = join.json()["call_cid"]

    await accepted(client, started(cid, T0))

    view = await session_view(client, tokens, session["id"])
    assert (view["stream_call_id"], view["status"]) == (cid, "live")


async def test_events_move_an_adhoc_call_found_by_type_and_id(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    body = {"host_user_id": "member-1", "title": "Office hours"}
    created = await client.post("/v1/live/calls", json=body, headers=tokens())
    assert created.status_code == 201, created.text
    call = created.json()
    cid = f"{call['stream_call_type']}:{call['stream_call_id']}"

    await accepted(client, started(cid, T0))
    live = (await client.get(f"/v1/live/calls/{call['id']}", headers=tokens())).json()
    await accepted(client, ended(cid, T0 + timedelta(minutes=30)))
    await accepted(client, recording(cid, VIDEO))
    done = (await client.get(f"/v1/live/calls/{call['id']}", headers=tokens())).json()

    assert (live["status"], instant(live["started_at"])) == ("live", T0)
    assert (done["status"], instant(done["ended_at"])) == ("ended", T0 + timedelta(minutes=30))
    assert done["recording_url"] == VIDEO


@pytest.mark.parametrize(
    "event_type", ["call.member_added", "call.created", "custom", "user.updated"]
)
async def test_unknown_event_type_is_accepted_and_ignored(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any, event_type: str
) -> None:
    session_id, cid = await session_with_call(new_session, db)
    before = await session_view(client, tokens, session_id)

    outcome = await accepted(client, {**started(cid), "type": event_type})

    assert outcome == "ignored"
    assert await session_view(client, tokens, session_id) == before
    assert await outbox_types(db, session_id) == [CREATED]


async def test_unknown_event_type_without_a_call_cid_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    event = {"type": "user.updated", "created_at": T0.isoformat(), "user": {"id": "someone"}}

    assert await accepted(client, event) == "ignored"


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(started, id="started"),
        pytest.param(ended, id="ended"),
        pytest.param(lambda cid: recording(cid, VIDEO), id="recording"),
    ],
)
async def test_event_for_an_unknown_call_cid_is_accepted_and_ignored(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any, event: Any
) -> None:
    session_id, cid = await session_with_call(new_session, db)
    before = await session_view(client, tokens, session_id)

    outcome = await accepted(client, event(cid + "-other"))

    assert outcome == "ignored"
    assert await session_view(client, tokens, session_id) == before
    assert await outbox_types(db, session_id) == [CREATED]


@pytest.mark.parametrize(
    "created_at",
    [
        pytest.param(1_894_701_600_250_000_000, id="int-nanoseconds"),
        pytest.param("1894701600250000000", id="numeric-string-nanoseconds"),
        pytest.param("2030-01-15T10:00:00.25Z", id="rfc3339-utc"),
        pytest.param("2030-01-15T11:00:00.250000+01:00", id="rfc3339-offset"),
    ],
)
async def test_created_at_is_read_as_nanoseconds_or_rfc3339(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any, created_at: Any
) -> None:
    session_id, cid = await session_with_call(new_session, db)

    await accepted(client, {**started(cid), "created_at": created_at})

    started_at = instant((await session_view(client, tokens, session_id))["started_at"])
    assert started_at == T0 + timedelta(milliseconds=250)


async def test_redelivery_with_the_same_webhook_id_changes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await session_with_call(new_session, db)
    assert await accepted(client, started(cid, T0), webhook_id="wh-1") == "applied"
    after_first = await session_view(client, tokens, session_id)

    # Same id, other body: a retry is recognised by its id alone.
    assert await accepted(client, ended(cid), webhook_id="wh-1") == "duplicate"
    assert await accepted(client, started(cid, T0 - timedelta(hours=1)), webhook_id="wh-1") == (
        "duplicate"
    )

    assert await session_view(client, tokens, session_id) == after_first
    assert await outbox_types(db, session_id) == [CREATED, STARTED]
    assert await count(db, "webhook_inbox") == 1


async def test_ended_session_never_goes_back_to_live(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await session_with_call(new_session, db)
    await accepted(client, started(cid, T0))
    await accepted(client, ended(cid, T0 + timedelta(hours=1)))

    await accepted(client, started(cid, T0 + timedelta(hours=2)))

    view = await session_view(client, tokens, session_id)
    assert (view["status"], instant(view["ended_at"])) == ("ended", T0 + timedelta(hours=1))
    assert await outbox_types(db, session_id) == [CREATED, STARTED, ENDED, ATTENDANCE]


async def test_cancelled_session_ignores_provider_events(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await session_with_call(new_session, db)
    cancel = await client.patch(
        f"/v1/admin/sessions/{session_id}", json={"status": "cancelled"}, headers=tokens.admin()
    )
    assert cancel.status_code == 200, cancel.text
    before = await session_view(client, tokens, session_id)

    for event in (started(cid), ended(cid), recording(cid, VIDEO)):
        await accepted(client, event)

    after = await session_view(client, tokens, session_id)
    assert after == before
    assert (after["status"], after["recording_url"]) == ("cancelled", None)
    assert await outbox_types(db, session_id) == [CREATED, "live.session.cancelled.v1"]


async def test_started_and_ended_are_published_once_however_many_provider_sessions(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session_id, cid = await session_with_call(new_session, db)

    # The host drops and rejoins: the provider reports two sessions on the same call.
    await accepted(client, started(cid, T0))
    await accepted(client, ended(cid, T0 + timedelta(minutes=10)))
    await accepted(client, started(cid, T0 + timedelta(minutes=11)))
    await accepted(client, ended(cid, T0 + timedelta(minutes=50)))

    view = await session_view(client, tokens, session_id)
    assert (view["status"], instant(view["started_at"]), instant(view["ended_at"])) == (
        "ended",
        T0,
        T0 + timedelta(minutes=50),
    )
    assert await outbox_types(db, session_id) == [CREATED, STARTED, ENDED, ATTENDANCE]
