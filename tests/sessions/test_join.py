"""POST /v1/sessions/{id}/join on the embedded `local` provider (SPEC §5): who may join, the join
window, the token and the provider call stored on the session."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database
from tests.support.app import STREAM_SECRET, app_client
from tests.support.auth import OTHER_BRAND, TOKENS, Tokens
from tests.support.errors import assert_error
from tests.support.providers import assert_call_token, join, minutes_from_now, stored_call
from tests.support.registrations import register
from tests.support.sessions import set_status

JOIN_FIELDS = {"token", "call_id", "call_type", "api_key", "expires_at"}


async def test_registered_member_joins_five_minutes_before_start_with_a_user_token(
    client: httpx.AsyncClient, new_session: Any
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5))
    await register(client, session["id"], "member-1")

    response = await join(client, session["id"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body.keys() >= JOIN_FIELDS
    assert body["call_id"] == session["id"]
    assert body["call_type"] == "livestream"
    assert body["api_key"] == "loop-live-local"
    cid = f"livestream:{session['id']}"
    claims = assert_call_token(
        body["token"], STREAM_SECRET, user_id="member-1", call_cid=cid, role="user"
    )
    assert datetime.fromisoformat(body["expires_at"]).timestamp() == claims["exp"]
    assert await stored_call(client, session["id"]) == cid


@pytest.mark.parametrize("user", ["host-1", "cohost-1"])
async def test_host_and_co_host_join_without_registering_with_the_host_role(
    client: httpx.AsyncClient, new_session: Any, user: str
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5), co_host_ids=["cohost-1"])

    response = await join(client, session["id"], user)

    assert response.status_code == 200, response.text
    cid = f"livestream:{session['id']}"
    assert_call_token(
        response.json()["token"], STREAM_SECRET, user_id=user, call_cid=cid, role="host"
    )


async def test_later_joins_reuse_the_call_the_first_join_stored(
    client: httpx.AsyncClient, new_session: Any
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5))
    await register(client, session["id"], "member-1")
    assert await stored_call(client, session["id"]) is None

    first = await join(client, session["id"], "host-1")
    stored = await stored_call(client, session["id"])
    second = await join(client, session["id"], "member-1")
    again = await join(client, session["id"], "member-1")

    assert [r.status_code for r in (first, second, again)] == [200, 200, 200]
    assert {r.json()["call_id"] for r in (first, second, again)} == {session["id"]}
    assert stored == await stored_call(client, session["id"]) == f"livestream:{session['id']}"


@pytest.mark.parametrize(
    ("starts_in", "status"),
    [(14, 200), (16, 412), (24 * 60, 412)],
    ids=["inside the 15-minute window", "just before the window", "tomorrow"],
)
async def test_join_window_opens_fifteen_minutes_before_start_by_default(
    client: httpx.AsyncClient, new_session: Any, starts_in: int, status: int
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(starts_in))

    response = await join(client, session["id"], "host-1")

    assert response.status_code == status, response.text
    if status == 412:
        assert response.json()["error"] == "not_joinable"
        opens = datetime.fromisoformat(response.json()["details"]["opens_at"])
        assert opens == datetime.fromisoformat(session["scheduled_at"]) - timedelta(minutes=15)
        assert await stored_call(client, session["id"]) is None


@pytest.mark.parametrize(
    ("window", "starts_in", "status"),
    [(30, 25, 200), (30, 35, 412), (5, 10, 412), (5, 4, 200)],
)
async def test_join_window_follows_the_configured_minutes(
    database_url: str, new_session: Any, window: int, starts_in: int, status: int
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(starts_in))

    async with app_client(database_url, join_window_minutes=window) as configured:
        response = await join(configured, session["id"], "host-1")

    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("started_ago", "duration", "status"),
    [(50, None, 200), (61, None, 412), (25, 30, 200), (31, 30, 412), (100, 120, 200)],
    ids=["60 min default, running", "60 min default, over", "30 min, running", "30 min, over",
         "120 min, running"],
)  # fmt: skip
async def test_scheduled_session_is_joinable_until_it_ends(
    client: httpx.AsyncClient,
    new_session: Any,
    started_ago: int,
    duration: int | None,
    status: int,
) -> None:
    session = await new_session(
        scheduled_at=minutes_from_now(-started_ago), duration_minutes=duration
    )
    await register(client, session["id"], "member-1")

    for user in ("host-1", "member-1"):
        response = await join(client, session["id"], user)
        assert response.status_code == status, response.text
        if status == 412:
            assert response.json()["error"] == "not_joinable"


@pytest.mark.parametrize("starts_in", [-180, 120], ids=["running late", "started early"])
async def test_live_session_is_joinable_outside_its_scheduled_window(
    client: httpx.AsyncClient, db: Database, new_session: Any, starts_in: int
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(starts_in))
    await register(client, session["id"], "member-1")
    await set_status(db, session["id"], "live")

    response = await join(client, session["id"], "member-1")

    assert response.status_code == 200, response.text
    assert await stored_call(client, session["id"]) == f"livestream:{session['id']}"


async def test_cancelled_session_is_not_joinable(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5))
    await register(client, session["id"], "member-1")
    cancelled = await client.patch(
        f"/v1/admin/sessions/{session['id']}", json={"status": "cancelled"}, headers=tokens.admin()
    )
    assert cancelled.status_code == 200, cancelled.text

    for user in ("host-1", "member-1"):
        assert_error(await join(client, session["id"], user), 412, "not_joinable")
    assert await stored_call(client, session["id"]) is None


async def test_ended_session_is_not_joinable_even_inside_its_window(
    client: httpx.AsyncClient, db: Database, new_session: Any
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(-5))
    await register(client, session["id"], "member-1")
    await set_status(db, session["id"], "ended")

    for user in ("host-1", "member-1"):
        assert_error(await join(client, session["id"], user), 412, "not_joinable")


async def test_waitlisted_unregistered_and_cancelled_members_may_not_join(
    client: httpx.AsyncClient, new_session: Any
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5), max_participants=1)
    await register(client, session["id"], "member-1")
    assert (await register(client, session["id"], "member-2"))["status"] == "waitlist"
    await register(client, session["id"], "member-3")  # waitlisted, then cancels
    gone = await client.delete(
        f"/v1/sessions/{session['id']}/registrations", headers=TOKENS("member-3")
    )
    assert gone.status_code == 200, gone.text

    for user in ("member-2", "member-3", "member-4"):
        assert_error(await join(client, session["id"], user), 403, "forbidden")
    assert await stored_call(client, session["id"]) is None
    assert (await join(client, session["id"], "member-1")).status_code == 200


async def test_member_promoted_from_the_waitlist_may_join(
    client: httpx.AsyncClient, new_session: Any
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5), max_participants=1)
    await register(client, session["id"], "member-1")
    await register(client, session["id"], "member-2")
    assert_error(await join(client, session["id"], "member-2"), 403, "forbidden")

    left = await client.delete(f"/v1/sessions/{session['id']}/registrations", headers=TOKENS())
    assert left.status_code == 200, left.text

    assert (await join(client, session["id"], "member-2")).status_code == 200
    assert_error(await join(client, session["id"], "member-1"), 403, "forbidden")


async def test_joining_as_someone_else_needs_manage_live(
    client: httpx.AsyncClient, new_session: Any
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5))
    await register(client, session["id"], "member-1")

    as_member = await join(client, session["id"], "member-1", TOKENS("member-2"))
    as_host = await join(client, session["id"], "member-1", TOKENS("host-1"))
    manager = TOKENS("manager-1", "write:live", "manage:live")
    as_manager = await join(client, session["id"], "member-1", manager)

    assert_error(as_member, 403, "forbidden")
    assert_error(as_host, 403, "forbidden")
    assert as_manager.status_code == 200, as_manager.text
    cid = f"livestream:{session['id']}"
    token = as_manager.json()["token"]
    assert_call_token(token, STREAM_SECRET, user_id="member-1", call_cid=cid, role="user")


async def test_manager_cannot_join_for_someone_who_is_not_registered(
    client: httpx.AsyncClient, new_session: Any
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5))
    manager = TOKENS("manager-1", "write:live", "manage:live")

    assert_error(await join(client, session["id"], "member-1", manager), 403, "forbidden")


async def test_unknown_malformed_or_other_brand_session_is_not_found(
    client: httpx.AsyncClient, new_session: Any
) -> None:
    elsewhere = await new_session(scheduled_at=minutes_from_now(5), brand_id=OTHER_BRAND)

    for session_id in (str(uuid.uuid4()), "not-a-uuid", elsewhere["id"]):
        assert_error(await join(client, session_id, "host-1"), 404, "not_found")


async def test_read_only_token_may_not_join(client: httpx.AsyncClient, new_session: Any) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5))

    response = await join(client, session["id"], "host-1", TOKENS("host-1", "read:live"))

    assert_error(response, 403, "insufficient_scope")


@pytest.mark.parametrize(
    "body", [{}, {"user_id": ""}, {"user_id": "host-1", "role": "host"}],
    ids=["missing user_id", "empty user_id", "unknown field"],
)  # fmt: skip
async def test_malformed_join_body_is_a_validation_error(
    client: httpx.AsyncClient, new_session: Any, body: dict[str, Any]
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5))

    response = await client.post(
        f"/v1/sessions/{session['id']}/join", json=body, headers=TOKENS("host-1")
    )

    assert_error(response, 400, "validation_error")
    assert await stored_call(client, session["id"]) is None
