"""Calls (/v1/live/calls) as tests make them: the host's and a manager's headers, a create
body, and the create and token requests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.auth import TOKENS

HOST = TOKENS("host-1")
MANAGER = TOKENS("manager-1", "write:live", "manage:live")
BODY = {
    "host_user_id": "host-1",
    "title": "Office hours with Dr. Lee",
    "scheduled_at": "2030-03-01T09:30:00-05:00",
    "metadata": {"topic": "sleep", "slots": [1, 2]},
}


async def create_call(
    client: httpx.AsyncClient, headers: dict[str, str] = HOST, **overrides: Any
) -> httpx.Response:
    return await client.post("/v1/live/calls", json={**BODY, **overrides}, headers=headers)


async def new_call(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await create_call(client, **overrides)
    assert response.status_code == 201, response.text
    call: dict[str, Any] = response.json()
    return call


async def mint(
    client: httpx.AsyncClient, call_id: str, headers: dict[str, str] = HOST, **body: Any
) -> httpx.Response:
    return await client.post(f"/v1/live/calls/{call_id}/token", json=body, headers=headers)
