"""Sessions as tests make them: through the API (`create_session`, the `new_session` fixture),
or as rows inserted straight into the tables for statuses and times the API would never accept
from a client (live, ended, the past); and the reads that check them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from loop_live.platform.clock import utcnow
from loop_live.platform.db import Database, Sql
from tests.support.auth import BRAND, Tokens
from tests.support.contract import ADMIN_LIST_SESSIONS, LIST_SESSIONS, assert_matches

MISSING = object()  # a field left out of the body altogether


def session_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "host_id": "host-1",
        "brand_id": BRAND,
        "title": "Morning mobility",
        "scheduled_at": "2030-01-15T10:00:00+00:00",
        "max_participants": 10,
    }
    body.update(overrides)
    return body


async def create_session(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> httpx.Response:
    """POST /v1/sessions with the default body, `overrides` applied (MISSING leaves one out)."""
    body = {k: v for k, v in session_body(**overrides).items() if v is not MISSING}
    return await client.post("/v1/sessions", json=body, headers=headers)


async def session_view(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, viewer: str = "member-1"
) -> dict[str, Any]:
    """The session as a member (`viewer`) sees it."""
    response = await client.get(f"/v1/sessions/{session_id}", headers=tokens(viewer))
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


async def admin_view(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, brand: str = BRAND
) -> dict[str, Any]:
    """The session as an admin of `brand` (its own brand) sees it now."""
    response = await client.get(f"/v1/sessions/{session_id}", headers=tokens.admin(brand=brand))
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()
    return session


async def set_status(
    db: Database,
    session_id: str,
    status: str,
    *,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
) -> None:
    """What the provider's webhooks would do: move the session live, or end it (at the times
    given, now by default)."""
    now = utcnow()
    started = (started_at or now) if status in ("live", "ended") else None
    ended = (ended_at or now) if status == "ended" else None
    async with db.write() as conn:
        await conn.execute(
            Sql("UPDATE sessions SET status = :status, started_at = :started, ended_at = :ended"
                " WHERE id = :id"),
            {"status": status, "started": started, "ended": ended, "id": uuid.UUID(session_id)},
        )  # fmt: skip


LIVE = "/v1/live/sessions"
ADMIN = "/v1/admin/sessions"
DEFAULT_DURATION_MINUTES = 60  # SPEC §4: a session without a duration is over after an hour


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def session_row(title: str, scheduled_at: datetime, **overrides: Any) -> dict[str, Any]:
    """A sessions row as the service would store it; `ends_at` follows the final values."""
    now = utcnow()
    row: dict[str, Any] = {
        "id": uuid.uuid4(), "host_id": "host-1", "brand_id": BRAND, "title": title,
        "description": None, "kind": "live", "category": None, "community_slug": None,
        "scheduled_at": scheduled_at, "duration_minutes": None, "started_at": None,
        "ended_at": None, "status": "scheduled", "stream_call_id": None, "max_participants": 10,
        "co_host_ids": "[]", "cover_image_url": None, "tags": "[]", "recording_url": None,
        "metadata": "{}", "registered_count": 0, "waitlist_count": 0, "created_at": now,
        "updated_at": now,
    }  # fmt: skip
    row.update(overrides)
    minutes = row["duration_minutes"] or DEFAULT_DURATION_MINUTES
    row["ends_at"] = row["scheduled_at"] + timedelta(minutes=minutes)
    return row


def registration_row(
    session: Mapping[str, Any], status: str, user_id: str | None = None, guest: str | None = None
) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": uuid.uuid4(), "brand_id": session["brand_id"], "session_id": session["id"],
        "user_id": user_id, "guest_email": guest,
        "guest_email_key": guest.lower() if guest else None,
        "role": "guest" if guest else "participant", "status": status,
        "registered_at": now, "updated_at": now,
    }  # fmt: skip


async def insert_rows(db: Database, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    columns = list(rows[0])
    async with db.write() as conn:
        await conn.copy(table, columns, [tuple(row[c] for c in columns) for row in rows])


def in_list_order(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Ids in the order the API promises: scheduled_at, then id."""
    ordered = sorted(rows, key=lambda row: (row["scheduled_at"], str(row["id"])))
    return [str(row["id"]) for row in ordered]


async def list_page(
    client: httpx.AsyncClient, headers: Mapping[str, str], path: str = LIVE, **params: str | int
) -> dict[str, Any]:
    """One page of a list endpoint: 200, and a body the published schemas accept."""
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert_matches(body, LIST_SESSIONS)
    if path == ADMIN:
        assert_matches(body, ADMIN_LIST_SESSIONS)
    return body


def titles(body: Mapping[str, Any]) -> list[str]:
    return [session["title"] for session in body["sessions"]]
