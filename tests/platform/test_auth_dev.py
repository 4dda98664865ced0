"""SPEC §6 in the embedded `dev` mode (HS256 tokens signed with LIVE_AUTH_SECRET), and the
settings that keep the development secrets out of a production deployment (SPEC §10)."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import httpx
import jwt
import pydantic
import pytest

from loop_live.app import create_app
from loop_live.platform.settings import (
    DEV_AUTH_SECRET,
    DEV_STREAM_SECRET,
    InsecureSettingsError,
    load,
)
from tests.support.app import STREAM_SECRET, make_settings
from tests.support.auth import AUTH_SECRET, Tokens, bearer
from tests.support.errors import assert_error
from tests.support.sessions import create_session

PUBLIC = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/webhooks/stream"}
PG_URL = "postgresql+asyncpg://live@db.internal:5432/live"
SAMPLE_ID = "00000000-0000-0000-0000-000000000001"
# calendar apps read a feed by its secret address, without a token (SPEC §13)
PUBLIC_READS = {("GET", f"/v1/calendar/feeds/{SAMPLE_ID}")}


def api_routes() -> list[tuple[str, str]]:
    """Every (method, path) the app serves outside its docs and board pages (static, no data),
    path parameters filled in."""
    app = create_app(make_settings("sqlite+aiosqlite:///./never-opened.db"))
    routes = {
        (method, re.sub(r"\{[^}]+\}", SAMPLE_ID, route.path))
        for route in app.routes
        for method in route.methods - {"OPTIONS", "HEAD"}
        if not route.path.startswith(("/docs", "/board"))
    }
    return sorted(routes)


API_ROUTES = api_routes()
PROTECTED = [
    (method, path)
    for method, path in API_ROUTES
    if path not in PUBLIC and (method, path) not in PUBLIC_READS
]
OTHER_SECRET = "someone-elses-secret-0123456789abcdef"


def assert_auth_error(response: httpx.Response, code: str) -> None:
    body = assert_error(response, 401, code)
    assert set(body) == {"error", "message"}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "member-1", "scope": "read:live", "brand": "brand-a", "exp": now + 600} | {
        k: v for k, v in overrides.items() if v is not None
    }


def signed(secret: str = AUTH_SECRET, **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


def tampered() -> str:
    """A valid token whose payload was edited afterwards to grant admin:* (signature kept)."""
    header, _, signature = signed().split(".")
    payload = base64.urlsafe_b64encode(json.dumps(claims(scope="admin:*")).encode())
    return f"{header}.{payload.decode().rstrip('=')}.{signature}"


def test_route_enumeration_sees_the_whole_api() -> None:
    assert len(PROTECTED) >= 15
    assert {path for _, path in API_ROUTES} >= PUBLIC


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_every_api_route_without_a_token_is_unauthenticated(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={})
    assert_auth_error(response, "unauthenticated")


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_every_api_route_refuses_a_token_without_scopes(
    client: httpx.AsyncClient, tokens: Tokens, method: str, path: str
) -> None:
    response = await client.request(method, path, json={}, headers=tokens("member-1", "nothing"))
    assert_error(response, 403, "insufficient_scope")


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic bWVtYmVyLTE6cGFzc3dvcmQ=",
        "Token abc.def.ghi",
        "Bearer",
        "Bearer    ",
        "BearerXYZ",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer %%%.%%%.%%%",
    ],
)
async def test_garbage_or_non_bearer_authorization_is_unauthenticated(
    client: httpx.AsyncClient, authorization: str
) -> None:
    response = await client.get("/v1/live/sessions", headers={"Authorization": authorization})
    assert_auth_error(response, "unauthenticated")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(signed(exp=int(time.time()) - 120), id="expired"),
        pytest.param(signed(OTHER_SECRET), id="signed-with-another-secret"),
        pytest.param(tampered(), id="payload-edited-after-signing"),
        pytest.param(jwt.encode(claims(), "", algorithm="none"), id="unsigned-alg-none"),
        pytest.param(signed(sub=""), id="empty-subject"),
        pytest.param(jwt.encode({"sub": "m", "scope": "read:live"}, AUTH_SECRET), id="no-exp"),
        pytest.param(signed(scope={"read": True}), id="malformed-scope"),
    ],
)
async def test_expired_forged_or_incomplete_token_is_invalid(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await client.get("/v1/live/sessions", headers=bearer(token))
    assert_auth_error(response, "invalid_token")


async def test_rejected_token_changes_nothing(client: httpx.AsyncClient, tokens: Tokens) -> None:
    forged = Tokens(secret=OTHER_SECRET).admin()
    response = await create_session(client, forged)
    assert_auth_error(response, "invalid_token")
    listed = await client.get("/v1/live/sessions", headers=tokens())
    assert listed.json()["sessions"] == []


async def test_valid_token_is_accepted_whatever_the_case_of_the_scheme(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    token = tokens()["Authorization"].removeprefix("Bearer ")
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = await client.get(
            "/v1/live/sessions", headers={"Authorization": f"{scheme} {token}"}
        )
        assert response.status_code == 200, (scheme, response.text)


async def test_valid_token_within_clock_skew_leeway_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    token = signed(exp=int(time.time()) - 5)
    response = await client.get("/v1/live/sessions", headers=bearer(token))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json"])
async def test_health_and_schema_routes_need_no_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200, response.text


async def test_provider_webhook_is_judged_by_its_signature_not_a_bearer_token(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.post("/webhooks/stream", json={"type": "x"}, headers=tokens.admin())
    assert_error(response, 401, "invalid_signature")


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"auth_secret": DEV_AUTH_SECRET}, id="dev-auth-secret"),
        pytest.param({"stream_api_secret": DEV_STREAM_SECRET}, id="dev-stream-secret"),
    ],
)
def test_postgres_with_a_development_secret_refuses_to_build_the_app(
    overrides: dict[str, str],
) -> None:
    with pytest.raises(InsecureSettingsError, match="development default"):
        create_app(make_settings(PG_URL, **overrides))


def test_postgres_with_real_secrets_builds_the_app() -> None:
    create_app(make_settings(PG_URL))


def test_sqlite_with_the_development_defaults_builds_the_app() -> None:
    create_app(make_settings("sqlite+aiosqlite:///./x.db", auth_secret=DEV_AUTH_SECRET))


@pytest.mark.parametrize("field", ["auth_secret", "stream_api_secret"])
def test_secret_shorter_than_32_characters_is_rejected(field: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="at least 32 characters"):
        make_settings("sqlite+aiosqlite:///./x.db", **{field: "x" * 31})
    make_settings("sqlite+aiosqlite:///./x.db", **{field: "x" * 32})


def test_short_secret_from_the_environment_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVE_AUTH_SECRET", "too-short")
    monkeypatch.setenv("LIVE_STREAM_API_SECRET", STREAM_SECRET)
    with pytest.raises(pydantic.ValidationError, match="auth_secret"):
        load()


async def test_a_token_accepted_once_is_refused_once_it_expires(client: httpx.AsyncClient) -> None:
    # Verified tokens are remembered (issue 11), never past their `exp` and its 30 s leeway.
    now = int(time.time())
    claims = {"sub": "member-1", "scope": "read:live", "brand": "brand-a", "exp": now - 29}
    headers = bearer(jwt.encode(claims, AUTH_SECRET, algorithm="HS256"))
    assert (await client.get("/v1/live/sessions", headers=headers)).status_code == 200
    time.sleep(max(0.0, now + 1.5 - time.time()))

    response = await client.get("/v1/live/sessions", headers=headers)

    assert_error(response, 401, "invalid_token")
    assert "expired" in response.json()["message"]
