"""PATCH /v1/sessions/{id}: who may edit a session, and which sessions they can reach."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.support.auth import OTHER_BRAND, Tokens
from tests.support.sessions import admin_view

EDIT = {"title": "Evening mobility", "max_participants": 25, "tags": ["evening"]}


async def edit(
    client: httpx.AsyncClient, session_id: str, headers: dict[str, str], **fields: Any
) -> httpx.Response:
    return await client.patch(f"/v1/sessions/{session_id}", json=fields, headers=headers)


@pytest.mark.parametrize(
    ("subject", "scopes"),
    [
        pytest.param("host-1", ("write:live",), id="host"),
        pytest.param("cohost-1", ("write:live",), id="co-host"),
        pytest.param("lead-1", ("manage:live",), id="manage-live"),
    ],
)
async def test_host_co_host_and_manager_may_edit(
    client: httpx.AsyncClient,
    tokens: Tokens,
    new_session: Any,
    subject: str,
    scopes: tuple[str, ...],
) -> None:
    session = await new_session(co_host_ids=["cohost-1"])
    response = await edit(
        client, session["id"], tokens(subject, *scopes),
        **EDIT, scheduled_at="2030-02-01T09:30:00-05:00",
    )  # fmt: skip
    assert response.status_code == 200, response.text
    after = await admin_view(client, tokens, session["id"])
    assert {k: after[k] for k in EDIT} == EDIT
    assert datetime.fromisoformat(after["scheduled_at"]) == datetime(2030, 2, 1, 14, 30, tzinfo=UTC)
    assert response.json() == after


async def test_another_member_cannot_edit(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session(co_host_ids=["cohost-1"])
    response = await edit(client, session["id"], tokens("member-2"), **EDIT)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert await admin_view(client, tokens, session["id"]) == session


async def test_read_only_token_cannot_edit_even_its_own_session(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    response = await edit(client, session["id"], tokens("host-1", "read:live"), **EDIT)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert await admin_view(client, tokens, session["id"]) == session


async def test_host_cannot_change_status_through_the_host_route(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    response = await edit(client, session["id"], tokens("host-1"), status="cancelled")
    assert response.status_code == 400
    assert "status" in response.json()["message"]
    assert (await admin_view(client, tokens, session["id"]))["status"] == "scheduled"


@pytest.mark.parametrize("session_id", [str(uuid.uuid4()), "not-a-uuid", "12345"])
async def test_unknown_or_malformed_id_is_404(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str
) -> None:
    response = await edit(client, session_id, tokens("lead-1", "manage:live"), **EDIT)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_session_of_another_brand_is_404(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session(brand_id=OTHER_BRAND)
    response = await edit(client, session["id"], tokens("host-1", "manage:live"), **EDIT)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert await admin_view(client, tokens, session["id"], brand=OTHER_BRAND) == session
