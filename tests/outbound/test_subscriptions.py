"""The subscription API (SPEC §12): the secret shown once and stored encrypted, event types
checked, brand isolation, PATCH/DELETE, rotation with a grace period, address rules."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database, Sql
from loop_live.platform.settings import DEV_WEBHOOKS_KEY, InsecureSettingsError
from tests.support.app import in_loop_client, make_settings
from tests.support.auth import OTHER_BRAND, Tokens
from tests.support.outbound import subscribe

URL = "http://127.0.0.1:9/hook"


async def test_create_shows_the_secret_once_and_never_stores_it_in_plaintext(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    created = await subscribe(client, tokens, URL, event_types=["live.session.created.v1"])
    secret = created["secret"]

    assert secret.startswith("whsec_")
    assert len(secret) > 40
    assert created["enabled"] is True
    assert created["event_types"] == ["live.session.created.v1"]
    one = (await client.get(f"/v1/admin/webhooks/{created['id']}", headers=tokens.admin())).json()
    listed = (await client.get("/v1/admin/webhooks", headers=tokens.admin())).json()
    assert "secret" not in one
    assert "secret" not in listed["webhooks"][0]
    assert secret[6:] not in await dump(db)
    assert secret not in await dump(db)


async def test_an_idempotent_replay_shows_the_secret_but_keeps_it_encrypted(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    headers = {**tokens.admin(), "Idempotency-Key": "hook-1"}
    first = await client.post("/v1/admin/webhooks", json={"url": URL}, headers=headers)
    again = await client.post("/v1/admin/webhooks", json={"url": URL}, headers=headers)

    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["secret"] == first.json()["secret"]
    assert first.json()["secret"][6:] not in await dump(db)


@pytest.mark.parametrize(
    "body",
    [
        {"url": URL, "event_types": ["live.session.exploded.v1"]},
        {"url": "ftp://example.com/x"},
        {"url": "http://user:pw@127.0.0.1/x"},
        {"url": URL, "secret": "mine"},
    ],
)
async def test_bad_subscriptions_are_400(
    client: httpx.AsyncClient, tokens: Tokens, body: dict[str, Any]
) -> None:
    response = await client.post("/v1/admin/webhooks", json=body, headers=tokens.admin())

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"


async def test_admin_scope_and_brand_are_required(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    created = await subscribe(client, tokens, URL)
    path = f"/v1/admin/webhooks/{created['id']}"

    member = await client.get("/v1/admin/webhooks", headers=tokens("m", "read:live"))
    other = await client.get(path, headers=tokens.admin(brand=OTHER_BRAND))
    assert member.status_code == 403
    assert other.status_code == 404
    listed = await client.get("/v1/admin/webhooks", headers=tokens.admin(brand=OTHER_BRAND))
    assert listed.json() == {"webhooks": []}


async def test_patch_and_delete(client: httpx.AsyncClient, tokens: Tokens) -> None:
    created = await subscribe(client, tokens, URL)
    path = f"/v1/admin/webhooks/{created['id']}"

    patched = await client.patch(
        path,
        json={"enabled": False, "event_types": ["live.session.ended.v1"], "description": "x"},
        headers=tokens.admin(),
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["enabled"] is False
    assert patched.json()["event_types"] == ["live.session.ended.v1"]
    assert patched.json()["url"] == URL
    assert patched.json()["description"] == "x"
    bad = await client.patch(path, json={"event_types": ["nope"]}, headers=tokens.admin())
    assert bad.status_code == 400
    assert (await client.delete(path, headers=tokens.admin())).status_code == 200
    assert (await client.get(path, headers=tokens.admin())).status_code == 404
    assert (await client.delete(path, headers=tokens.admin())).status_code == 404


async def test_rotation_shows_a_new_secret_once(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    created = await subscribe(client, tokens, URL)
    rotated = await client.post(
        f"/v1/admin/webhooks/{created['id']}/rotate-secret", headers=tokens.admin()
    )

    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"] != created["secret"]
    assert rotated.json()["secret"][6:] not in await dump(db)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://localhost:8080/x",
        "https://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[::ffff:192.168.0.1]/x",
        "http://0.0.0.0/x",
        "http://224.0.0.1/x",
        "http://no-such-host.invalid/x",
    ],
)
async def test_private_or_unresolvable_addresses_are_refused(
    database_url: str, tokens: Tokens, url: str
) -> None:
    strict = make_settings(database_url, webhooks_allow_private=False)
    async with in_loop_client(strict) as client:
        response = await client.post(
            "/v1/admin/webhooks", json={"url": url}, headers=tokens.admin()
        )
        created = await client.post(
            "/v1/admin/webhooks", json={"url": "https://93.184.215.14/x"}, headers=tokens.admin()
        )
        patched = await client.patch(
            f"/v1/admin/webhooks/{created.json()['id']}", json={"url": url}, headers=tokens.admin()
        )

    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith("url:")
    assert created.status_code == 201, created.text
    assert patched.status_code == 400


def test_settings_refuse_the_development_key_on_postgresql() -> None:
    pg = {"database_url": "postgresql+asyncpg://u@h/db", "cursor_secret": "c" * 40}
    make_settings(**pg).check_production_safety()

    with pytest.raises(InsecureSettingsError, match="LIVE_WEBHOOKS_SECRET_KEY"):
        make_settings(**pg, webhooks_secret_key=DEV_WEBHOOKS_KEY).check_production_safety()


async def dump(db: Database) -> str:
    """Everything a database dump would show of the tables a secret could reach."""
    out = []
    async with db.read() as conn:
        for table in ("webhook_subscriptions", "idempotency_keys", "audit_log", "outbox_events"):
            rows = await conn.fetch(Sql(f"SELECT * FROM {table}"))
            out.extend(repr(tuple(row)) for row in rows)
    return "\n".join(out)
