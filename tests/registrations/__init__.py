"""Registrations (SPEC §2, §5): one table behind `/register` and `/registrations`.

Shared helpers for the tests of this package: the registration calls a client makes, the
session view a member sees, and what the journal (audit log, outbox) holds afterwards.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from loop_live.platform.db import Database, Sql
from tests.conftest import Tokens

REGISTER = "POST /v1/sessions/{id}/register"
REGISTRATIONS = "POST /v1/sessions/{id}/registrations"
ADMIN_REGISTRATIONS = "GET /v1/admin/sessions/{id}/registrations"


async def register_person(
    client: httpx.AsyncClient, headers: dict[str, str], session_id: str, **body: Any
) -> httpx.Response:
    return await client.post(f"/v1/sessions/{session_id}/register", json=body, headers=headers)


async def register_self(
    client: httpx.AsyncClient, headers: dict[str, str], session_id: str
) -> httpx.Response:
    return await client.post(f"/v1/sessions/{session_id}/registrations", headers=headers)


async def unregister_self(
    client: httpx.AsyncClient, headers: dict[str, str], session_id: str
) -> httpx.Response:
    return await client.delete(f"/v1/sessions/{session_id}/registrations", headers=headers)


async def enrol(
    client: httpx.AsyncClient, tokens: Callable[[str], dict[str, str]], session_id: str, *users: str
) -> dict[str, dict[str, Any]]:
    """Each user registers themselves, in order; returns their registrations by user."""
    made = {}
    for user in users:
        response = await register_self(client, tokens(user), session_id)
        assert response.status_code == 201, response.text
        made[user] = response.json()
    return made


async def session_view(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, viewer: str = "member-1"
) -> dict[str, Any]:
    response = await client.get(f"/v1/sessions/{session_id}", headers=tokens(viewer))
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


async def admin_registrations(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, **params: Any
) -> httpx.Response:
    return await client.get(
        f"/v1/admin/sessions/{session_id}/registrations", params=params, headers=tokens.admin()
    )


async def statuses(db: Database, session_id: str) -> dict[str, list[str]]:
    """Who holds which status, read from the table: {"registered": [user or email, ...], ...}."""
    async with db.read() as conn:
        rows = await conn.fetch(
            Sql("SELECT user_id, guest_email, status FROM registrations"
                " WHERE session_id = :id ORDER BY registered_at, id"),
            {"id": uuid.UUID(session_id)},
        )  # fmt: skip
    found: dict[str, list[str]] = {"registered": [], "waitlist": [], "cancelled": []}
    for row in rows:
        found[row["status"]].append(row["user_id"] or row["guest_email"])
    return found


async def end_session(db: Database, session_id: str) -> None:
    """Mark a session ended, as the provider's `call.session_ended` webhook does."""
    async with db.write() as conn:
        await conn.execute(
            Sql("UPDATE sessions SET status = 'ended', ended_at = updated_at WHERE id = :id"),
            {"id": uuid.UUID(session_id)},
        )


@dataclass(frozen=True)
class Journal:
    """Audit rows as (action, entity_id, details) and outbox events as (type, aggregate_id)."""

    audit: list[tuple[str, str, dict[str, Any]]]
    events: list[tuple[str, str]]

    def since(self, before: Journal) -> Journal:
        return Journal(self.audit[len(before.audit) :], self.events[len(before.events) :])


async def close_session(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, session_id: str, status: str
) -> None:
    """Take a session out of registration: an admin cancels it, or the provider ends it."""
    if status == "ended":
        await end_session(db, session_id)
        return
    response = await client.patch(
        f"/v1/admin/sessions/{session_id}", json={"status": "cancelled"}, headers=tokens.admin()
    )
    assert response.status_code == 200, response.text


async def journal(db: Database) -> Journal:
    async with db.read() as conn:
        audit = await conn.fetch(
            Sql("SELECT action, entity_id, details FROM audit_log ORDER BY created_at, action")
        )
        events = await conn.fetch(
            Sql("SELECT event_type, aggregate_id FROM outbox_events ORDER BY created_at, id")
        )
    return Journal(
        [(row["action"], row["entity_id"], json.loads(row["details"])) for row in audit],
        [(row["event_type"], row["aggregate_id"]) for row in events],
    )
