"""Registrations (SPEC §2, §5) as tests make them: the registration calls a client makes,
and who holds which status afterwards, read from the table."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from loop_live.platform.db import Database, Sql
from tests.support.auth import TOKENS, Tokens

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


async def register(client: httpx.AsyncClient, session_id: str, user: str) -> dict[str, Any]:
    """`user` registers themselves; returns the registration."""
    return (await enrol(client, TOKENS, session_id, user))[user]
