"""GET /v1/admin/sessions/{id}/registrations, the seat counters every session response
carries, and the waitlist promoted by raising `max_participants` (SPEC §2, §3, §4)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database
from tests.support.auth import OTHER_BRAND, Tokens
from tests.support.contract import assert_matches
from tests.support.journal import journal
from tests.support.registrations import (
    ADMIN_REGISTRATIONS,
    admin_registrations,
    enrol,
    statuses,
    unregister_self,
)
from tests.support.sessions import session_view

MEMBERS = tuple(f"member-{n:02d}" for n in range(1, 24))


async def listed(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, **params: Any
) -> dict[str, Any]:
    response = await admin_registrations(client, tokens, session_id, **params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert_matches(page, ADMIN_REGISTRATIONS)
    return page


async def walk(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, **params: Any
) -> list[list[dict[str, Any]]]:
    """Every page, following `next_cursor` until it is null; each page's `total` is the sum."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        more: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = await listed(client, tokens, session_id, **params, **more)
        pages.append(page["registrations"])
        cursor = page["next_cursor"]
        if cursor is None:
            assert page["total"] == sum(len(p) for p in pages)
            return pages


async def crowded_session(client: httpx.AsyncClient, tokens: Tokens, new_session: Any) -> str:
    """10 seats, 23 members; member-01 cancels: 10 registered, 12 waitlisted, 1 cancelled."""
    session = await new_session(max_participants=10)
    await enrol(client, tokens, session["id"], *MEMBERS)
    assert (await unregister_self(client, tokens(MEMBERS[0]), session["id"])).status_code == 200
    return str(session["id"])


async def test_admin_sees_every_registration_and_the_total(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session(max_participants=2)
    await enrol(client, tokens, session["id"], "member-1", "member-2", "member-3")
    page = await listed(client, tokens, session["id"])
    assert page["total"] == 3
    assert [(r["user_id"], r["status"]) for r in page["registrations"]] == [
        ("member-1", "registered"), ("member-2", "registered"), ("member-3", "waitlist"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "expected"),
    [("registered", 10), ("waitlist", 12), ("cancelled", 1)],
)
async def test_status_filter_keeps_only_that_status(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, status: str, expected: int
) -> None:
    session_id = await crowded_session(client, tokens, new_session)
    pages = await walk(client, tokens, session_id, status=status, limit=5)
    found = [r for page in pages for r in page]
    assert len(found) == expected
    assert {r["status"] for r in found} == {status}


async def test_keyset_pages_walk_every_registration_once_in_registration_order(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session_id = await crowded_session(client, tokens, new_session)
    pages = await walk(client, tokens, session_id, limit=4)
    assert [len(page) for page in pages] == [4, 4, 4, 4, 4, 3]
    users = [r["user_id"] for page in pages for r in page]
    assert users == list(MEMBERS)
    moments = [r["registered_at"] for page in pages for r in page]
    assert moments == sorted(moments)
    table = await statuses(db, session_id)
    assert sum(len(users) for users in table.values()) == len(MEMBERS)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"status": "pending"}, "status"), ({"limit": 0}, "limit"), ({"cursor": "bogus"}, "cursor")],
)
async def test_malformed_parameters_are_validation_errors(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, params: Any, parameter: str
) -> None:
    session = await new_session()
    response = await admin_registrations(client, tokens, session["id"], **params)
    assert (response.status_code, response.json()["error"]) == (400, "validation_error")
    assert parameter in response.json()["message"]


@pytest.mark.parametrize(
    "scopes", [("read:live", "write:live"), ("manage:live",)], ids=["member", "manager"]
)
async def test_listing_needs_admin_live(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, scopes: tuple[str, ...]
) -> None:
    session = await new_session()
    response = await client.get(
        f"/v1/admin/sessions/{session['id']}/registrations", headers=tokens("host-1", *scopes)
    )
    assert (response.status_code, response.json()["error"]) == (403, "insufficient_scope")


async def test_session_of_another_brand_or_unknown_is_not_found(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    other = await new_session(brand_id=OTHER_BRAND)
    await enrol(client, lambda user: tokens(user, brand=OTHER_BRAND), other["id"], "member-9")
    for session_id in (other["id"], "3f1b0c4e-0000-4000-8000-000000000000", "nope"):
        response = await admin_registrations(client, tokens, session_id)
        assert (response.status_code, response.json()["error"]) == (404, "not_found")


async def seat_view(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, viewer: str
) -> tuple[int, bool, int, bool]:
    """(registered_count, is_registered) as `viewer` sees them on GET and in the list."""
    one = await session_view(client, tokens, session_id, viewer)
    response = await client.get("/v1/live/sessions", headers=tokens(viewer))
    assert response.status_code == 200, response.text
    (listed_session,) = response.json()["sessions"]
    return (
        one["registered_count"], one["is_registered"],
        listed_session["registered_count"], listed_session["is_registered"],
    )  # fmt: skip


async def test_registered_count_and_is_registered_follow_registrations(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session(max_participants=1)
    sid = session["id"]
    assert await seat_view(client, tokens, sid, "member-1") == (0, False, 0, False)
    await enrol(client, tokens, sid, "member-1", "member-2")
    assert await seat_view(client, tokens, sid, "member-1") == (1, True, 1, True)
    assert await seat_view(client, tokens, sid, "member-2") == (1, False, 1, False)
    assert (await unregister_self(client, tokens("member-1"), sid)).status_code == 200
    assert await seat_view(client, tokens, sid, "member-1") == (1, False, 1, False)
    assert await seat_view(client, tokens, sid, "member-2") == (1, True, 1, True)


async def test_raising_capacity_promotes_the_oldest_waitlisted(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session(max_participants=1)
    made = await enrol(client, tokens, session["id"], "member-1", "member-2", "member-3", "m-4")
    before = await journal(db)
    response = await client.patch(
        f"/v1/admin/sessions/{session['id']}", json={"max_participants": 3},
        headers=tokens.admin(),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert (response.json()["registered_count"], response.json()["waitlist_count"]) == (3, 1)
    assert await statuses(db, session["id"]) == {
        "registered": ["member-1", "member-2", "member-3"], "waitlist": ["m-4"], "cancelled": [],
    }  # fmt: skip
    assert (await seat_view(client, tokens, session["id"], "member-3"))[:2] == (3, True)
    written = (await journal(db)).since(before)
    promoted = sorted([made["member-2"]["id"], made["member-3"]["id"]])
    assert sorted(a for event, a in written.events if event.endswith("promoted.v1")) == promoted
    assert sorted(e for action, e, _ in written.audit if action == "registration.promote") == (
        promoted
    )
