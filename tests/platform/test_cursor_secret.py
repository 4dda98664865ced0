"""Cursors are signed with LIVE_CURSOR_SECRET (SPEC §11): outside development it must be set in
every auth mode; in dev auth mode the auth secret stands in for it."""

from __future__ import annotations

import subprocess
from typing import Any

import httpx
import pytest

from loop_live.platform.settings import (
    DEV_AUTH_SECRET,
    DEV_CURSOR_SECRET,
    InsecureSettingsError,
)
from tests.support.app import app_client, make_settings
from tests.support.auth import AUTH_SECRET, TOKENS
from tests.support.servers import CLI, server_env

PG_URL = "postgresql+asyncpg://live@db.internal:5432/live"
CURSOR_SECRET = "cursor-secret-0123456789abcdef-0123456789"
JWT = {"auth_mode": "jwt", "jwt_jwks_url": "https://id.example/jwks"}
INTROSPECT = {"auth_mode": "introspect", "introspect_url": "https://id.example/introspect"}


@pytest.mark.parametrize("mode", [JWT, INTROSPECT], ids=["jwt", "introspect"])
def test_postgres_without_a_cursor_secret_refuses_in_every_token_mode(mode: dict[str, str]) -> None:
    with pytest.raises(InsecureSettingsError, match="LIVE_CURSOR_SECRET"):
        make_settings(PG_URL, **mode).check_production_safety()
    make_settings(PG_URL, **mode, cursor_secret=CURSOR_SECRET).check_production_safety()


@pytest.mark.parametrize("key", [DEV_AUTH_SECRET, DEV_CURSOR_SECRET])
def test_postgres_with_a_development_cursor_secret_refuses(key: str) -> None:
    with pytest.raises(InsecureSettingsError, match="LIVE_CURSOR_SECRET"):
        make_settings(PG_URL, cursor_secret=key).check_production_safety()


def test_dev_auth_mode_signs_cursors_with_the_auth_secret_unless_a_cursor_secret_is_set() -> None:
    assert make_settings(PG_URL).cursor_key() == AUTH_SECRET
    assert make_settings(PG_URL, cursor_secret=CURSOR_SECRET).cursor_key() == CURSOR_SECRET
    make_settings(PG_URL).check_production_safety()


def test_sqlite_development_runs_with_the_default_cursor_key() -> None:
    settings = make_settings("sqlite+aiosqlite:///./x.db", **JWT)
    assert settings.cursor_key() == DEV_CURSOR_SECRET
    settings.check_production_safety()


def test_short_cursor_secret_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least 32 characters"):
        make_settings("sqlite+aiosqlite:///./x.db", cursor_secret="x" * 31)


def test_serve_refuses_to_start_with_a_clear_message() -> None:
    env = server_env(PG_URL, LIVE_AUTH_MODE="jwt", LIVE_JWT_JWKS_URL="https://id.example/jwks")

    done = subprocess.run(
        [str(CLI), "serve"], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode != 0
    assert "set LIVE_CURSOR_SECRET" in done.stderr
    assert "Traceback" not in done.stderr


async def first_page_cursor(client: httpx.AsyncClient) -> str:
    response = await client.get("/v1/live/sessions?limit=1", headers=TOKENS())
    assert response.status_code == 200, response.text
    cursor: str = response.json()["next_cursor"]
    return cursor


async def test_a_cursor_signed_with_another_cursor_secret_is_refused(
    database_url: str, new_session: Any
) -> None:
    for day in (1, 2):
        await new_session(scheduled_at=f"2030-01-0{day}T10:00:00+00:00")
    async with app_client(database_url, cursor_secret=CURSOR_SECRET) as issuer:
        cursor = await first_page_cursor(issuer)
        assert (await issuer.get(f"/v1/live/sessions?cursor={cursor}", headers=TOKENS())).is_success

    async with app_client(database_url) as other:  # same auth secret, no cursor secret
        response = await other.get(f"/v1/live/sessions?cursor={cursor}", headers=TOKENS())

    assert (response.status_code, response.json()["error"]) == (400, "validation_error")
