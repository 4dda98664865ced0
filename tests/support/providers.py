"""The provider-backed flows (join, calls): the app on GetStream's fake, the join request, and
the claims every provider token must carry (GetStream's user-token format). Plain asserts here
are not rewritten by pytest, so each carries its own message."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from tests.support.app import app_client
from tests.support.auth import TOKENS
from tests.support.fakes.getstream_server import FakeGetStream

Stream = tuple[FakeGetStream, httpx.AsyncClient]
TOKEN_TTL = 3600  # Settings.stream_token_ttl_seconds default


@asynccontextmanager
async def getstream_app(
    database_url: str, **overrides: Any
) -> AsyncIterator[tuple[FakeGetStream, httpx.AsyncClient]]:
    """The app with the `getstream` provider, talking to a local fake of GetStream's REST API."""
    with FakeGetStream() as fake:
        settings: dict[str, Any] = {
            "stream_provider": "getstream",
            "stream_api_key": fake.api_key,
            "stream_api_secret": fake.api_secret,
            "stream_base_url": fake.base_url,
            "stream_timeout_seconds": 2.0,  # generous: CI machines are busy; delays are 30 s
            **overrides,
        }
        async with app_client(database_url, **settings) as client:
            yield fake, client


def assert_call_token(
    token: str, secret: str, *, user_id: str, call_cid: str, role: str, ttl: int = TOKEN_TTL
) -> dict[str, Any]:
    """The token verifies with `secret` and carries GetStream's user-token claims."""
    claims: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"])
    expected = {"user_id": user_id, "call_cids": [call_cid], "role": role}
    assert {k: claims.get(k) for k in expected} == expected, claims
    assert abs(claims["exp"] - (time.time() + ttl)) < 30, claims
    return claims


def provider_calls(fake: FakeGetStream, suffix: str = "") -> list[str]:
    """`METHOD path` of every request the fake received whose path ends with `suffix`."""
    return [f"{r.method} {r.path}" for r in fake.requests if r.path.endswith(suffix)]


def minutes_from_now(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


async def join(
    client: httpx.AsyncClient,
    session_id: str,
    user: str = "member-1",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/v1/sessions/{session_id}/join", json={"user_id": user}, headers=headers or TOKENS(user)
    )


async def stored_call(client: httpx.AsyncClient, session_id: str) -> str | None:
    response = await client.get(f"/v1/sessions/{session_id}", headers=TOKENS())
    assert response.status_code == 200, response.text
    call: str | None = response.json()["stream_call_id"]
    return call
