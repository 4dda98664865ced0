"""SPEC §6, `jwt` mode: RS256/ES256 access tokens checked against the identity service's JWKS,
served from a real socket; the key set is cached, refetched for rotated keys, and its outage is
a 503 rather than a wall of 401s."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jwt
import pytest

from tests.support.app import app_client
from tests.support.auth import OTHER_BRAND, bearer
from tests.support.errors import assert_error
from tests.support.identity_server import (
    AUDIENCE,
    ISSUER,
    Clock,
    IdentityHttpServer,
    SigningKey,
    closed_port_url,
    identity_server,
    list_status,
)
from tests.support.sessions import create_session

CACHE_SECONDS = 300


@pytest.fixture(scope="module")
def identity() -> Iterator[IdentityHttpServer]:
    with identity_server() as server:
        yield server


@pytest.fixture(scope="module")
def rs_key() -> SigningKey:
    return SigningKey("RS256")


@pytest.fixture(scope="module")
def es_key() -> SigningKey:
    return SigningKey("ES256")


@pytest.fixture
def keys(identity: IdentityHttpServer, rs_key: SigningKey, es_key: SigningKey) -> list[SigningKey]:
    """The keys the identity service publishes; tests rotate them by editing this list."""
    identity.state.reset()
    identity.state.published.extend([rs_key, es_key])
    return identity.state.published


def jwt_settings(jwks_url: str) -> dict[str, Any]:
    return {
        "auth_mode": "jwt",
        "jwt_jwks_url": jwks_url,
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        "jwks_cache_seconds": CACHE_SECONDS,
        "cursor_secret": "test-cursor-secret-0123456789abcdef-xyz",
    }


@pytest.fixture
async def jwt_client(
    database_url: str, identity: IdentityHttpServer, keys: list[SigningKey]
) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(database_url, **jwt_settings(f"{identity.url}/jwks")) as client:
        yield client


def jwks_fetches(identity: IdentityHttpServer) -> int:
    return identity.state.requests["/jwks"]


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_valid_token_lists_only_the_brand_it_names(
    jwt_client: httpx.AsyncClient, new_session: Any, keys: list[SigningKey], alg: str
) -> None:
    key = next(k for k in keys if k.alg == alg)
    own = await new_session(title="Own brand")
    await new_session(title="Other brand", brand_id=OTHER_BRAND)
    response = await jwt_client.get("/v1/live/sessions", headers=bearer(key.token()))
    assert response.status_code == 200, response.text
    assert [s["id"] for s in response.json()["sessions"]] == [own["id"]]


@pytest.mark.parametrize(
    "grant",
    [{"scope": "write:live"}, {"scp": ["write:live"]}],
    ids=["scope-string", "scp-list"],
)
async def test_subject_and_scopes_of_the_token_decide_what_it_may_do(
    jwt_client: httpx.AsyncClient, rs_key: SigningKey, grant: dict[str, Any]
) -> None:
    token = rs_key.token(sub="host-9", **({"scope": None} | grant))
    own = await create_session(jwt_client, bearer(token), host_id="host-9")
    assert own.status_code == 201, own.text
    assert (own.json()["host_id"], own.json()["brand_id"]) == ("host-9", "brand-a")
    other_host = await create_session(jwt_client, bearer(token))
    assert_error(other_host, 403, "forbidden")
    listing = await jwt_client.get("/v1/live/sessions", headers=bearer(token))
    assert_error(listing, 403, "insufficient_scope")


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"iss": "https://evil.example"}, id="wrong-issuer"),
        pytest.param({"aud": "another-service"}, id="wrong-audience"),
        pytest.param({"iss": None}, id="no-issuer"),
        pytest.param({"aud": None}, id="no-audience"),
        pytest.param({"exp": int(time.time()) - 120}, id="expired"),
        pytest.param({"nbf": int(time.time()) + 600}, id="not-yet-valid"),
        pytest.param({"sub": None}, id="no-subject"),
    ],
)
async def test_token_for_another_issuer_audience_or_time_is_invalid(
    jwt_client: httpx.AsyncClient, rs_key: SigningKey, claims: dict[str, Any]
) -> None:
    token = rs_key.token(**claims)
    response = await jwt_client.get("/v1/live/sessions", headers=bearer(token))
    assert_error(response, 401, "invalid_token")


async def test_token_signed_by_an_unpublished_key_is_invalid(
    jwt_client: httpx.AsyncClient, es_key: SigningKey
) -> None:
    stranger = SigningKey("ES256")
    for token in (stranger.token(), stranger.token(kid=es_key.kid)):
        response = await jwt_client.get("/v1/live/sessions", headers=bearer(token))
        assert_error(response, 401, "invalid_token")


async def test_token_whose_alg_differs_from_its_published_key_is_invalid(
    jwt_client: httpx.AsyncClient, rs_key: SigningKey
) -> None:
    claims = jwt.decode(rs_key.token(), options={"verify_signature": False})
    hs256 = jwt.encode(claims, "x" * 64, algorithm="HS256", headers={"kid": rs_key.kid})
    response = await jwt_client.get("/v1/live/sessions", headers=bearer(hs256))
    assert_error(response, 401, "invalid_token")


async def test_unreadable_token_is_unauthenticated_without_fetching_keys(
    jwt_client: httpx.AsyncClient, identity: IdentityHttpServer
) -> None:
    response = await jwt_client.get("/v1/live/sessions", headers=bearer("not-a-jwt"))
    assert_error(response, 401, "unauthenticated")
    assert jwks_fetches(identity) == 0


async def test_keys_are_fetched_once_and_reused_until_the_cache_expires(
    jwt_client: httpx.AsyncClient,
    identity: IdentityHttpServer,
    keys: list[SigningKey],
    clock: Clock,
) -> None:
    for key in keys * 3:
        assert await list_status(jwt_client, key.token()) == 200
    assert jwks_fetches(identity) == 1
    clock.advance(CACHE_SECONDS + 1)
    assert await list_status(jwt_client, keys[0].token()) == 200
    assert jwks_fetches(identity) == 2


async def test_rotated_in_key_is_accepted_after_a_refetch(
    jwt_client: httpx.AsyncClient,
    identity: IdentityHttpServer,
    keys: list[SigningKey],
    clock: Clock,
) -> None:
    old = keys[0]
    assert await list_status(jwt_client, old.token()) == 200
    new = SigningKey("RS256")
    keys.append(new)
    clock.advance(10)
    assert await list_status(jwt_client, new.token()) == 200
    assert jwks_fetches(identity) == 2
    assert await list_status(jwt_client, old.token()) == 200


async def test_retired_key_stops_working_once_the_cached_key_set_expires(
    jwt_client: httpx.AsyncClient, keys: list[SigningKey], clock: Clock
) -> None:
    retired = keys.pop(0)
    assert await list_status(jwt_client, keys[0].token()) == 200
    clock.advance(CACHE_SECONDS + 1)
    response = await jwt_client.get("/v1/live/sessions", headers=bearer(retired.token()))
    assert_error(response, 401, "invalid_token")


async def test_unknown_kids_do_not_make_every_request_refetch_the_key_set(
    jwt_client: httpx.AsyncClient, identity: IdentityHttpServer, keys: list[SigningKey]
) -> None:
    assert await list_status(jwt_client, keys[0].token()) == 200
    for _ in range(5):
        assert await list_status(jwt_client, SigningKey("ES256").token()) == 401
    assert jwks_fetches(identity) == 1


@pytest.mark.parametrize("outage", ["connection-refused", "server-error"])
async def test_unreachable_key_set_is_unavailable_not_unauthenticated(
    database_url: str,
    identity: IdentityHttpServer,
    keys: list[SigningKey],
    outage: str,
) -> None:
    identity.state.failing = outage == "server-error"
    url = closed_port_url() if outage == "connection-refused" else f"{identity.url}/jwks"
    async with app_client(database_url, **jwt_settings(url)) as client:
        response = await client.get("/v1/live/sessions", headers=bearer(keys[0].token()))
    assert_error(response, 503, "unavailable")


async def test_cached_keys_keep_working_while_the_key_set_is_down(
    jwt_client: httpx.AsyncClient,
    identity: IdentityHttpServer,
    keys: list[SigningKey],
    clock: Clock,
) -> None:
    assert await list_status(jwt_client, keys[0].token()) == 200
    identity.state.failing = True
    clock.advance(CACHE_SECONDS + 1)
    assert await list_status(jwt_client, keys[1].token()) == 200


@pytest.mark.parametrize(
    "document",
    [[], {"keys": None}, {"keys": "none"}, {"issuer": ISSUER}, "keys"],
    ids=["list", "null-keys", "string-keys", "no-keys", "string"],
)
async def test_key_set_document_that_is_not_a_key_set_is_unavailable(
    jwt_client: httpx.AsyncClient, identity: IdentityHttpServer, rs_key: SigningKey, document: Any
) -> None:
    identity.state.jwks_document = document
    response = await jwt_client.get("/v1/live/sessions", headers=bearer(rs_key.token()))
    assert_error(response, 503, "unavailable")


async def test_unusable_entries_in_the_key_set_are_skipped(
    jwt_client: httpx.AsyncClient, identity: IdentityHttpServer, es_key: SigningKey
) -> None:
    junk = [42, "key", {"kty": "RSA", "kid": "broken", "n": 5, "e": "AQAB"}]
    identity.state.jwks_document = {"keys": [*junk, es_key.jwk()]}
    assert await list_status(jwt_client, es_key.token()) == 200
