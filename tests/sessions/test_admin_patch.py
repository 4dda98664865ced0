"""PATCH /v1/admin/sessions/{id} (seed contract): edit, reschedule, cancel, reinstate, and the
lifecycle and capacity rules of SPEC §3."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database, Sql
from tests.support.auth import BRAND, OTHER_BRAND, Tokens
from tests.support.contract import ADMIN_PATCH_SESSION, assert_matches
from tests.support.sessions import admin_view, set_status

EVERY_FIELD: dict[str, Any] = {
    "title": "Breathwork",
    "description": "Slow breathing for busy people",
    "community_slug": "calm-club",
    "max_participants": 30,
    "duration_minutes": 90,
    "co_host_ids": ["cohost-9"],
    "cover_image_url": "https://cdn.example.com/breath.png",
    "tags": ["breath", "calm"],
    "kind": "office_hours",
    "category": "wellbeing",
    "metadata": {"room": "blue", "levels": [1, 2]},
}
PRESENTATION: dict[str, Any] = {
    k: EVERY_FIELD[k]
    for k in ("title", "description", "category", "tags", "cover_image_url", "metadata",
              "co_host_ids", "community_slug")
}  # fmt: skip
T0 = datetime(2029, 12, 1, 9, 0, tzinfo=UTC)


async def admin_patch(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(f"/v1/admin/sessions/{session_id}", json=body, headers=tokens.admin())


async def accepted(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await admin_patch(client, tokens, session_id, body)
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()
    assert_matches(session, ADMIN_PATCH_SESSION)
    assert await admin_view(client, tokens, session_id) == session
    return session


async def assert_refused(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, body: dict[str, Any]
) -> None:
    before = await admin_view(client, tokens, session_id)
    response = await admin_patch(client, tokens, session_id, body)
    assert response.status_code == 412, response.text
    assert response.json()["error"] == "invalid_state"
    assert_matches(response.json(), ADMIN_PATCH_SESSION, 412)
    assert await admin_view(client, tokens, session_id) == before


async def seat(db: Database, session_id: str, people: list[tuple[str, str, int]]) -> None:
    """Insert registrations (user, status, minutes after T0) and the counters they imply."""
    async with db.write() as conn:
        for user, status, minutes in people:
            await conn.execute(
                Sql("INSERT INTO registrations (id, brand_id, session_id, user_id, role, status,"
                    " registered_at, updated_at) VALUES (:id, :brand, :session, :user,"
                    " 'participant', :status, :at, :at)"),
                {"id": uuid.uuid4(), "brand": BRAND, "session": uuid.UUID(session_id),
                 "user": user, "status": status, "at": T0 + timedelta(minutes=minutes)},
            )  # fmt: skip
        await conn.execute(
            Sql("UPDATE sessions SET registered_count = :registered, waitlist_count = :waiting"
                " WHERE id = :id"),
            {"registered": sum(s == "registered" for _, s, _ in people),
             "waiting": sum(s == "waitlist" for _, s, _ in people), "id": uuid.UUID(session_id)},
        )  # fmt: skip


async def statuses(db: Database, session_id: str) -> dict[str, str]:
    async with db.read() as conn:
        rows = await conn.fetch(
            Sql("SELECT user_id, status FROM registrations WHERE session_id = :id"),
            {"id": uuid.UUID(session_id)},
        )
    return {row["user_id"]: row["status"] for row in rows}


async def upcoming_ids(client: httpx.AsyncClient, tokens: Tokens) -> list[str]:
    response = await client.get("/v1/live/sessions?upcoming=true", headers=tokens())
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()["sessions"]]


async def test_admin_edits_every_field(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    updated = await accepted(
        client, tokens, session["id"], {**EVERY_FIELD, "scheduled_at": "2030-03-01T08:00:00+01:00"}
    )
    assert {k: updated[k] for k in EVERY_FIELD} == EVERY_FIELD
    assert datetime.fromisoformat(updated["scheduled_at"]) == datetime(2030, 3, 1, 7, tzinfo=UTC)
    assert updated["status"] == "scheduled"
    assert updated["created_at"] == session["created_at"]


async def test_reschedule_changes_when_the_session_is_over(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    now = datetime.now(UTC)
    past = {"scheduled_at": (now - timedelta(hours=3)).isoformat(), "duration_minutes": 30}
    moved = await accepted(client, tokens, session["id"], past)
    assert moved["duration_minutes"] == 30
    assert await upcoming_ids(client, tokens) == []
    running = {"scheduled_at": (now - timedelta(minutes=30)).isoformat(), "duration_minutes": 90}
    await accepted(client, tokens, session["id"], running)
    assert await upcoming_ids(client, tokens) == [session["id"]]


async def test_cancel_then_reinstate(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    cancelled = await accepted(client, tokens, session["id"], {"status": "cancelled"})
    assert cancelled["status"] == "cancelled"
    assert await upcoming_ids(client, tokens) == []
    back = await accepted(client, tokens, session["id"], {"status": "scheduled", "title": "Back"})
    assert (back["status"], back["title"]) == ("scheduled", "Back")
    assert await upcoming_ids(client, tokens) == [session["id"]]


@pytest.mark.parametrize(
    "body",
    [
        {"title": "Still cancelled?"},
        {"max_participants": 20},
        {"status": "cancelled"},
        {"status": "cancelled", "title": "Again"},
    ],
)
async def test_cancelled_session_only_accepts_a_reinstatement(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, body: dict[str, Any]
) -> None:
    session = await new_session()
    await accepted(client, tokens, session["id"], {"status": "cancelled"})
    await assert_refused(client, tokens, session["id"], body)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": "Encore"},
        {"metadata": {"after": "party"}},
        {"status": "scheduled"},
        {"status": "cancelled"},
        {"max_participants": 50},
    ],
)
async def test_ended_session_refuses_every_change(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database, body: dict[str, Any]
) -> None:
    session = await new_session()
    await set_status(db, session["id"], "ended", started_at=T0, ended_at=T0 + timedelta(hours=1))
    await assert_refused(client, tokens, session["id"], body)


async def test_live_session_accepts_presentation_fields(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session()
    await set_status(db, session["id"], "live", started_at=T0)
    updated = await accepted(client, tokens, session["id"], PRESENTATION)
    assert {k: updated[k] for k in PRESENTATION} == PRESENTATION
    assert updated["status"] == "live"


@pytest.mark.parametrize(
    "body",
    [
        {"scheduled_at": "2030-02-01T10:00:00Z"},
        {"duration_minutes": 120},
        {"max_participants": 50},
        {"kind": "office_hours"},
        {"status": "cancelled"},
        {"status": "scheduled"},
        {"title": "Renamed", "max_participants": 50},
    ],
)
async def test_live_session_refuses_timing_capacity_kind_and_status(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database, body: dict[str, Any]
) -> None:
    session = await new_session()
    await set_status(db, session["id"], "live", started_at=T0)
    await assert_refused(client, tokens, session["id"], body)


async def test_community_slug_null_clears_it(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session(community_slug="calm-club")
    updated = await accepted(client, tokens, session["id"], {"community_slug": None})
    assert updated["community_slug"] is None
    listed = await client.get("/v1/live/sessions?community_id=calm-club", headers=tokens())
    assert listed.json()["sessions"] == []


async def test_lowering_capacity_below_registered_count_is_refused(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session(max_participants=10)
    await seat(db, session["id"], [("u1", "registered", 1), ("u2", "registered", 2),
                                   ("u3", "registered", 3)])  # fmt: skip
    await assert_refused(
        client, tokens, session["id"], {"max_participants": 2, "title": "Smaller room"}
    )
    assert await statuses(db, session["id"]) == dict.fromkeys(["u1", "u2", "u3"], "registered")
    exact = await accepted(client, tokens, session["id"], {"max_participants": 3})
    assert (exact["max_participants"], exact["registered_count"]) == (3, 3)


@pytest.mark.parametrize(
    ("capacity", "promoted"),
    [(3, {"w-first"}), (4, {"w-first", "w-second"}), (10, {"w-first", "w-second", "w-late"})],
)
async def test_raising_capacity_promotes_the_oldest_waitlisted_first(
    client: httpx.AsyncClient,
    tokens: Tokens,
    new_session: Any,
    db: Database,
    capacity: int,
    promoted: set[str],
) -> None:
    session = await new_session(max_participants=2)
    # Inserted out of order: promotion must follow registered_at, not insertion order.
    await seat(db, session["id"], [("r1", "registered", 1), ("r2", "registered", 2),
                                   ("w-late", "waitlist", 30), ("w-first", "waitlist", 10),
                                   ("w-second", "waitlist", 20)])  # fmt: skip
    updated = await accepted(client, tokens, session["id"], {"max_participants": capacity})
    assert updated["registered_count"] == 2 + len(promoted)
    assert updated["waitlist_count"] == 3 - len(promoted)
    waiting = {"w-first", "w-second", "w-late"} - promoted
    expected = {"r1": "registered", "r2": "registered"} | dict.fromkeys(promoted, "registered")
    assert await statuses(db, session["id"]) == expected | dict.fromkeys(waiting, "waitlist")


async def test_refused_capacity_change_promotes_nobody(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session(max_participants=1)
    await seat(db, session["id"], [("r1", "registered", 1), ("w1", "waitlist", 2)])
    await set_status(db, session["id"], "live", started_at=T0)
    await assert_refused(client, tokens, session["id"], {"max_participants": 5})
    assert await statuses(db, session["id"]) == {"r1": "registered", "w1": "waitlist"}


async def test_admin_patch_needs_the_admin_scope(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    response = await client.patch(
        f"/v1/admin/sessions/{session['id']}",
        json={"status": "cancelled"},
        headers=tokens("host-1", "write:live", "manage:live"),
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert (await admin_view(client, tokens, session["id"]))["status"] == "scheduled"


@pytest.mark.parametrize("another_brands", [False, True], ids=["unknown-id", "other-brand"])
async def test_unknown_session_or_another_brands_is_404(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, another_brands: bool
) -> None:
    other = await new_session(brand_id=OTHER_BRAND)
    session_id = other["id"] if another_brands else str(uuid.uuid4())
    response = await admin_patch(client, tokens, session_id, {"title": "Mine now"})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert_matches(response.json(), ADMIN_PATCH_SESSION, 404)
