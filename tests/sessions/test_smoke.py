from __future__ import annotations

from typing import Any

import httpx

from tests.support.auth import Tokens


async def test_created_session_is_listed(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    created = await new_session(title="Sleep reset")
    response = await client.get("/v1/live/sessions", headers=tokens())
    assert response.status_code == 200
    assert [s["id"] for s in response.json()["sessions"]] == [created["id"]]
