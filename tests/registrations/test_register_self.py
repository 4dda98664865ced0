"""POST and DELETE /v1/sessions/{id}/registrations (SPEC §5): the caller takes a seat or a
place on the waitlist, and gives the seat back to the oldest waitlisted registration."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database
from tests.support.auth import OTHER_BRAND, Tokens
from tests.support.contract import assert_matches
from tests.support.journal import journal
from tests.support.registrations import (
    REGISTRATIONS,
    close_session,
    enrol,
    register_self,
    statuses,
    unregister_self,
)
from tests.support.sessions import session_view


async def registered(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, user: str, status: int = 201
) -> dict[str, Any]:
    response = await register_self(client, tokens(user), session_id)
    assert response.status_code == status, response.text
    registration: dict[str, Any] = response.json()
    assert_matches(registration, REGISTRATIONS, 201)
    assert registration["user_id"] == user
    return registration


async def cancelled(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, user: str
) -> dict[str, Any]:
    response = await unregister_self(client, tokens(user), session_id)
    assert response.status_code == 200, response.text
    registration: dict[str, Any] = response.json()
    assert_matches(registration, REGISTRATIONS, 201)
    assert (registration["status"], registration["user_id"]) == ("cancelled", user)
    assert registration["cancelled_at"] is not None
    return registration


async def test_caller_takes_a_seat_while_seats_remain(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session(max_participants=2)
    registration = await registered(client, tokens, session["id"], "member-1")
    assert registration["session_id"] == session["id"]
    assert (registration["status"], registration["cancelled_at"]) == ("registered", None)
    view = await session_view(client, tokens, session["id"])
    assert (view["registered_count"], view["waitlist_count"], view["is_registered"]) == (
        1, 0, True,
    )  # fmt: skip


async def test_full_session_puts_the_caller_on_the_waitlist(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session(max_participants=1)
    await registered(client, tokens, session["id"], "member-1")
    waiting = await registered(client, tokens, session["id"], "member-2")
    assert waiting["status"] == "waitlist"
    view = await session_view(client, tokens, session["id"], viewer="member-2")
    assert (view["registered_count"], view["waitlist_count"], view["is_registered"]) == (
        1, 1, False,
    )  # fmt: skip


@pytest.mark.parametrize("user", ["member-1", "member-2"], ids=["registered", "waitlisted"])
async def test_registering_again_returns_the_existing_registration(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database, user: str
) -> None:
    session = await new_session(max_participants=1)
    first = (await enrol(client, tokens, session["id"], "member-1", "member-2"))[user]
    before = await journal(db)
    again = await registered(client, tokens, session["id"], user, status=200)
    assert again == first
    assert await journal(db) == before
    assert await statuses(db, session["id"]) == {
        "registered": ["member-1"], "waitlist": ["member-2"], "cancelled": [],
    }  # fmt: skip


async def test_cancelling_gives_the_seat_to_the_oldest_waitlisted(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session(max_participants=1)
    made = await enrol(client, tokens, session["id"], "member-1", "member-2", "member-3")
    await cancelled(client, tokens, session["id"], "member-1")
    assert await statuses(db, session["id"]) == {
        "registered": ["member-2"], "waitlist": ["member-3"], "cancelled": ["member-1"],
    }  # fmt: skip
    promoted = await registered(client, tokens, session["id"], "member-2", status=200)
    assert (promoted["id"], promoted["status"]) == (made["member-2"]["id"], "registered")
    view = await session_view(client, tokens, session["id"], viewer="member-2")
    assert (view["registered_count"], view["waitlist_count"], view["is_registered"]) == (
        1, 1, True,
    )  # fmt: skip


async def test_cancelling_a_waitlisted_place_promotes_nobody(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session(max_participants=1)
    await enrol(client, tokens, session["id"], "member-1", "member-2", "member-3")
    await cancelled(client, tokens, session["id"], "member-3")
    assert await statuses(db, session["id"]) == {
        "registered": ["member-1"], "waitlist": ["member-2"], "cancelled": ["member-3"],
    }  # fmt: skip
    view = await session_view(client, tokens, session["id"])
    assert (view["registered_count"], view["waitlist_count"]) == (1, 1)


async def test_a_cancelled_registration_never_blocks_registering_again(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session(max_participants=1)
    first = await registered(client, tokens, session["id"], "member-1")
    await cancelled(client, tokens, session["id"], "member-1")
    second = await registered(client, tokens, session["id"], "member-1")
    await cancelled(client, tokens, session["id"], "member-1")
    third = await registered(client, tokens, session["id"], "member-1")
    assert len({first["id"], second["id"], third["id"]}) == 3
    assert third["status"] == "registered"
    assert await statuses(db, session["id"]) == {
        "registered": ["member-1"], "waitlist": [], "cancelled": ["member-1", "member-1"],
    }  # fmt: skip


async def test_cancelling_without_a_registration_is_not_found(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    await enrol(client, tokens, session["id"], "member-2")
    never = await unregister_self(client, tokens("member-1"), session["id"])
    assert (never.status_code, never.json()["error"]) == (404, "not_found")
    await cancelled(client, tokens, session["id"], "member-2")
    twice = await unregister_self(client, tokens("member-2"), session["id"])
    assert (twice.status_code, twice.json()["error"]) == (404, "not_found")


@pytest.mark.parametrize("status", ["cancelled", "ended"])
async def test_cancelled_or_ended_session_refuses_self_registration(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database, status: str
) -> None:
    session = await new_session()
    await close_session(client, tokens, db, session["id"], status)
    refused = await register_self(client, tokens("member-1"), session["id"])
    assert (refused.status_code, refused.json()["error"]) == (412, "invalid_state")
    assert (await statuses(db, session["id"]))["registered"] == []


async def test_session_of_another_brand_is_not_found(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    other = await new_session(brand_id=OTHER_BRAND)
    for call in (register_self, unregister_self):
        response = await call(client, tokens("member-1"), other["id"])
        assert (response.status_code, response.json()["error"]) == (404, "not_found")


async def test_each_change_is_audited_once_with_its_event(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session(max_participants=1)
    before = await journal(db)
    made = await enrol(client, tokens, session["id"], "member-1", "member-2")
    one, two = made["member-1"]["id"], made["member-2"]["id"]
    assert (await journal(db)).since(before).events == [
        ("live.registration.created.v1", one),
        ("live.registration.created.v1", two),
    ]
    before = await journal(db)
    await cancelled(client, tokens, session["id"], "member-1")
    written = (await journal(db)).since(before)
    assert sorted(written.events) == [
        ("live.registration.cancelled.v1", one),
        ("live.registration.promoted.v1", two),
    ]
    assert sorted((action, entity) for action, entity, _ in written.audit) == [
        ("registration.cancel", one),
        ("registration.promote", two),
    ]
    assert "member-" not in repr([details for _, _, details in (await journal(db)).audit])
