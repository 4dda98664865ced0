"""SPEC §6, `introspect` mode: opaque tokens checked with the identity service's RFC 7662
endpoint (form POST, client Basic auth) on a real socket; answers are cached briefly."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.support.app import app_client
from tests.support.auth import OTHER_BRAND, bearer
from tests.support.errors import assert_error
from tests.support.identity_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    Clock,
    IdentityHttpServer,
    closed_port_url,
    identity_server,
    list_status,
)
from tests.support.sessions import create_session

CACHE_SECONDS = 30


@pytest.fixture(scope="module")
def server() -> Iterator[IdentityHttpServer]:
    with identity_server() as running:
        yield running


@pytest.fixture
def identity(server: IdentityHttpServer) -> IdentityHttpServer:
    server.state.reset()
    return server


def introspect_settings(url: str, client_secret: str = CLIENT_SECRET) -> dict[str, Any]:
    return {
        "auth_mode": "introspect",
        "introspect_url": url,
        "introspect_client_id": CLIENT_ID,
        "introspect_client_secret": client_secret,
        "introspect_cache_seconds": CACHE_SECONDS,
        "cursor_secret": "test-cursor-secret-0123456789abcdef-xyz",
    }


@pytest.fixture
async def introspect_client(
    database_url: str, identity: IdentityHttpServer
) -> AsyncIterator[httpx.AsyncClient]:
    settings = introspect_settings(f"{identity.url}/introspect")
    async with app_client(database_url, **settings) as client:
        yield client


def issue(identity: IdentityHttpServer, active: bool = True, **claims: Any) -> str:
    """An opaque token the identity service will describe with `claims` when asked."""
    token = secrets.token_urlsafe(24)
    answer = {"sub": "member-1", "brand": "brand-a", "scope": "read:live write:live"} | claims
    identity.state.introspection[token] = {
        "active": active,
        "client_id": "member-app",
        "token_type": "Bearer",
        "exp": int(time.time()) + 3600,
        **answer,
    }
    return token


def introspections(identity: IdentityHttpServer) -> int:
    return identity.state.requests["/introspect"]


async def test_active_token_lists_only_the_brand_it_names(
    introspect_client: httpx.AsyncClient, identity: IdentityHttpServer, new_session: Any
) -> None:
    own = await new_session(title="Own brand")
    await new_session(title="Other brand", brand_id=OTHER_BRAND)
    token = issue(identity, scope="read:live")
    response = await introspect_client.get("/v1/live/sessions", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert [s["id"] for s in response.json()["sessions"]] == [own["id"]]


async def test_active_token_acts_with_its_subject_and_scopes(
    introspect_client: httpx.AsyncClient, identity: IdentityHttpServer
) -> None:
    writer = issue(identity, sub="host-9", scope="write:live")
    created = await create_session(introspect_client, bearer(writer), host_id="host-9")
    assert created.status_code == 201, created.text
    assert (created.json()["host_id"], created.json()["brand_id"]) == ("host-9", "brand-a")
    reader = issue(identity, scope="read:live")
    refused = await create_session(introspect_client, bearer(reader), host_id="member-1")
    assert_error(refused, 403, "insufficient_scope")


@pytest.mark.parametrize("known", [True, False], ids=["revoked", "never-issued"])
async def test_inactive_token_is_invalid(
    introspect_client: httpx.AsyncClient, identity: IdentityHttpServer, known: bool
) -> None:
    token = issue(identity, active=False) if known else secrets.token_urlsafe(24)
    response = await introspect_client.get("/v1/live/sessions", headers=bearer(token))
    assert_error(response, 401, "invalid_token")


async def test_active_answer_without_a_subject_is_invalid(
    introspect_client: httpx.AsyncClient, identity: IdentityHttpServer
) -> None:
    token = issue(identity, sub=None)
    response = await introspect_client.get("/v1/live/sessions", headers=bearer(token))
    assert_error(response, 401, "invalid_token")


async def test_answers_are_cached_per_token_until_the_cache_expires(
    introspect_client: httpx.AsyncClient, identity: IdentityHttpServer, clock: Clock
) -> None:
    first, second = issue(identity), issue(identity)
    for token in (first, second, first, second, first):
        assert await list_status(introspect_client, token) == 200
    assert introspections(identity) == 2
    clock.advance(CACHE_SECONDS + 1)
    assert await list_status(introspect_client, first) == 200
    assert introspections(identity) == 3


async def test_revocation_takes_effect_once_the_cached_answer_expires(
    introspect_client: httpx.AsyncClient, identity: IdentityHttpServer, clock: Clock
) -> None:
    token = issue(identity)
    assert await list_status(introspect_client, token) == 200
    identity.state.introspection[token]["active"] = False
    clock.advance(CACHE_SECONDS + 1)
    response = await introspect_client.get("/v1/live/sessions", headers=bearer(token))
    assert_error(response, 401, "invalid_token")


async def test_answer_is_not_cached_past_the_tokens_own_expiry(
    introspect_client: httpx.AsyncClient, identity: IdentityHttpServer, clock: Clock
) -> None:
    token = issue(identity, exp=int(time.time()) + 5)
    assert await list_status(introspect_client, token) == 200
    identity.state.introspection[token]["active"] = False
    clock.advance(6)
    assert await list_status(introspect_client, token) == 401


@pytest.mark.parametrize("exp", ["tomorrow", None, [1]], ids=["string", "null", "list"])
async def test_active_answer_with_a_malformed_expiry_is_still_honoured(
    introspect_client: httpx.AsyncClient, identity: IdentityHttpServer, exp: Any
) -> None:
    token = issue(identity)
    identity.state.introspection[token]["exp"] = exp
    assert await list_status(introspect_client, token) == 200


async def test_inactive_answer_is_cached_too(
    introspect_client: httpx.AsyncClient, identity: IdentityHttpServer
) -> None:
    token = issue(identity, active=False)
    for _ in range(3):
        assert await list_status(introspect_client, token) == 401
    assert introspections(identity) == 1


@pytest.mark.parametrize("outage", ["connection-refused", "server-error"])
async def test_unreachable_introspection_is_unavailable_not_unauthenticated(
    database_url: str, identity: IdentityHttpServer, outage: str
) -> None:
    identity.state.failing = outage == "server-error"
    url = closed_port_url() if outage == "connection-refused" else f"{identity.url}/introspect"
    async with app_client(database_url, **introspect_settings(url)) as client:
        response = await client.get("/v1/live/sessions", headers=bearer(issue(identity)))
    assert_error(response, 503, "unavailable")


async def test_outage_is_not_cached_and_the_token_works_once_the_service_is_back(
    introspect_client: httpx.AsyncClient, identity: IdentityHttpServer
) -> None:
    token = issue(identity)
    identity.state.failing = True
    assert await list_status(introspect_client, token) == 503
    identity.state.failing = False
    assert await list_status(introspect_client, token) == 200
    assert introspections(identity) == 2


async def test_wrong_client_credentials_are_a_service_fault_not_the_callers(
    database_url: str, identity: IdentityHttpServer
) -> None:
    url = f"{identity.url}/introspect"
    settings = introspect_settings(url, client_secret="wrong-client-secret-0123456789abcdef")
    async with app_client(database_url, **settings) as client:
        response = await client.get("/v1/live/sessions", headers=bearer(issue(identity)))
    assert_error(response, 503, "unavailable")
