"""Rate limits in one process (in-memory storage): per client and route class, per address for
failed authentication, 429 in the envelope with Retry-After."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
from litestar import Litestar

from loop_live.app import create_app
from loop_live.webhooks.simulate import payload, signed
from tests.support.app import STREAM_SECRET, make_settings
from tests.support.auth import AUTH_SECRET, BRAND, OTHER_BRAND, Tokens
from tests.support.errors import assert_envelope

LIST = "/v1/live/sessions"


@asynccontextmanager
async def limited_app(
    database_url: str, redis_url: str | None = None, **limits: int
) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh app (fresh budgets) with the named limits on, served in the test's loop."""
    settings = {f"rate_limit_{name}": value for name, value in limits.items()}
    app = create_app(make_settings(database_url, redis_url=redis_url, **settings))
    async with app.lifespan():
        yield _client(app, "10.0.0.1")


def _client(app: Litestar, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://live")


async def statuses(client: httpx.AsyncClient, n: int, path: str = LIST, **kw: Any) -> list[int]:
    return [(await client.get(path, **kw)).status_code for _ in range(n)]


def assert_limited(response: httpx.Response, limit: int) -> None:
    assert_envelope(response, 429, "rate_limited")
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert 0 < response.json()["retry_after_ms"] <= 60_000
    assert abs(response.json()["retry_after_ms"] / 1000 - retry_after) < 1
    assert response.headers["RateLimit-Limit"] == str(limit)
    assert response.headers["RateLimit-Remaining"] == "0"
    assert response.headers["X-RateLimit-Limit"] == str(limit)


def client_token(sub: str, client_id: str, brand: str = BRAND) -> dict[str, str]:
    now = int(time.time())
    claims = {"sub": sub, "client_id": client_id, "brand": brand, "scope": "read:live",
              "iat": now, "exp": now + 600}  # fmt: skip
    return {"Authorization": f"Bearer {jwt.encode(claims, AUTH_SECRET, algorithm='HS256')}"}


async def test_reads_over_the_budget_get_429_with_retry_after(
    database_url: str, tokens: Tokens
) -> None:
    async with limited_app(database_url, reads=5) as client:
        assert await statuses(client, 5, headers=tokens("reader")) == [200] * 5
        limited = await client.get(LIST, headers=tokens("reader"))
        assert_limited(limited, 5)
        assert await statuses(client, 3, headers=tokens("someone-else")) == [200] * 3
        other_brand = tokens("reader", brand=OTHER_BRAND)
        assert await statuses(client, 2, headers=other_brand) == [200] * 2


async def test_the_budget_belongs_to_the_tokens_client_id(
    database_url: str, tokens: Tokens
) -> None:
    async with limited_app(database_url, reads=4) as client:
        assert await statuses(client, 2, headers=client_token("alice", "mobile-app")) == [200] * 2
        assert await statuses(client, 2, headers=client_token("bob", "mobile-app")) == [200] * 2
        assert await statuses(client, 1, headers=client_token("carol", "mobile-app")) == [429]
        assert await statuses(client, 1, headers=client_token("carol", "web-app")) == [200]


async def test_a_limited_write_has_no_effect_and_classes_are_separate(
    database_url: str, tokens: Tokens
) -> None:
    body = {"host_id": "host-1", "brand_id": BRAND, "title": "Yoga",
            "scheduled_at": "2030-01-15T10:00:00Z", "max_participants": 5}  # fmt: skip
    async with limited_app(database_url, reads=3, writes=2) as client:
        host = tokens("host-1")
        created = [(await client.post("/v1/sessions", json=body, headers=host)) for _ in range(3)]
        assert [r.status_code for r in created[:2]] == [201, 201]
        assert_limited(created[2], 2)
        listed = await client.get(LIST, headers=host)
        assert listed.status_code == 200
        assert len(listed.json()["sessions"]) == 2


async def test_admin_routes_spend_the_admin_budget_not_the_reads_budget(
    database_url: str, tokens: Tokens
) -> None:
    async with limited_app(database_url, reads=2, admin=3) as client:
        admin = tokens.admin()
        assert await statuses(client, 4, "/v1/admin/sessions", headers=admin) == [200] * 3 + [429]
        assert await statuses(client, 3, headers=admin) == [200, 200, 429]


async def test_zero_turns_a_class_off(database_url: str, tokens: Tokens) -> None:
    async with limited_app(database_url, reads=0, writes=1) as client:
        assert await statuses(client, 40, headers=tokens("reader")) == [200] * 40


async def test_failed_authentication_blocks_the_address_before_verification(
    database_url: str, tokens: Tokens
) -> None:
    app = create_app(make_settings(database_url, rate_limit_auth_failures=3))
    async with app.lifespan():
        attacker, neighbour = _client(app, "10.0.0.1"), _client(app, "10.0.0.2")
        bad = {"Authorization": "Bearer not-a-token"}
        assert await statuses(attacker, 3, headers=bad) == [401] * 3
        assert_limited(await attacker.get(LIST, headers=bad), 3)
        # Even a valid token is turned away from that address: nothing is verified any more.
        assert_limited(await attacker.get(LIST, headers=tokens()), 3)
        assert (await attacker.get("/healthz")).status_code == 200
        assert await statuses(neighbour, 1, headers=tokens()) == [200]


async def test_successful_requests_do_not_count_as_failures(
    database_url: str, tokens: Tokens
) -> None:
    async with limited_app(database_url, auth_failures=2) as client:
        assert await statuses(client, 10, headers=tokens()) == [200] * 10
        assert await statuses(client, 3, headers={}) == [401, 401, 429]


async def test_webhook_signature_failures_are_limited_per_address(database_url: str) -> None:
    body, genuine = signed(payload("call.session_started", "livestream:x"), STREAM_SECRET, "k")
    async with limited_app(database_url, auth_failures=2) as client:
        forged = {**genuine, "X-Signature": "0" * 64}
        codes = [(await client.post("/webhooks/stream", content=body, headers=forged)).status_code
                 for _ in range(3)]  # fmt: skip
        assert codes == [401, 401, 429]
        refused = await client.post("/webhooks/stream", content=body, headers=genuine)
        assert_limited(refused, 2)


async def test_a_redis_that_never_answers_costs_one_bounded_wait(
    database_url: str, tokens: Tokens
) -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # accepts the connection, never answers a command
        finally:
            writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, limited_app(database_url, f"redis://127.0.0.1:{port}/0", reads=2) as c:
        started = time.monotonic()
        assert await statuses(c, 3, headers=tokens("reader")) == [200, 200, 429]
        assert time.monotonic() - started < 2
