"""Idempotency-Key on POST and PATCH (SPEC §7): replay, mismatch, limits, races, expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database, Sql
from loop_live.platform.settings import Settings
from tests.support.app import in_loop_client
from tests.support.auth import Tokens
from tests.support.databases import count
from tests.support.sessions import create_session


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], key: str, **overrides: Any
) -> httpx.Response:
    return await create_session(client, {**headers, "Idempotency-Key": key}, **overrides)


def replayed(response: httpx.Response) -> bool:
    return response.headers.get("Idempotent-Replayed") == "true"


async def test_retry_with_the_same_key_replays_the_first_response(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    first = await post(client, tokens("host-1"), "create-1")
    retry = await post(client, tokens("host-1"), "create-1")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert (replayed(first), replayed(retry)) == (False, True)
    assert await count(db, "sessions") == 1


async def test_same_key_with_another_body_is_a_conflict(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    assert (await post(client, tokens("host-1"), "create-1")).status_code == 201
    reused = await post(client, tokens("host-1"), "create-1", title="Something else")
    assert reused.status_code == 409
    assert reused.json()["error"] == "idempotency_key_payload_mismatch"
    assert await count(db, "sessions") == 1


async def test_patch_retry_replays_without_repeating_the_change(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    url = f"/v1/sessions/{session['id']}"
    keyed = {**tokens("host-1"), "Idempotency-Key": "rename-1"}
    first = await client.patch(url, json={"title": "First name"}, headers=keyed)
    assert first.status_code == 200, first.text
    second = await client.patch(url, json={"title": "Second name"}, headers=tokens("host-1"))
    assert second.status_code == 200, second.text
    retry = await client.patch(url, json={"title": "First name"}, headers=keyed)
    assert retry.status_code == 200
    assert replayed(retry)
    assert retry.json() == first.json()
    assert (await client.get(url, headers=tokens())).json()["title"] == "Second name"
    mismatch = await client.patch(url, json={"title": "Third name"}, headers=keyed)
    assert mismatch.status_code == 409
    assert mismatch.json()["error"] == "idempotency_key_payload_mismatch"


async def test_key_of_128_characters_is_accepted_and_129_refused(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    too_long = await post(client, tokens("host-1"), "k" * 129)
    assert too_long.status_code == 400
    assert too_long.json()["error"] == "validation_error"
    assert "Idempotency-Key" in too_long.json()["message"]
    assert await count(db, "sessions") == 0
    assert (await post(client, tokens("host-1"), "k" * 128)).status_code == 201


async def test_concurrent_retries_create_exactly_one_session(
    settings: Settings, tokens: Tokens, db: Database
) -> None:
    async with in_loop_client(settings) as concurrent:
        responses = await asyncio.gather(
            *(post(concurrent, tokens("host-1"), "burst-1") for _ in range(6))
        )
    assert [r.status_code for r in responses] == [201] * 6
    assert len({r.text for r in responses}) == 1
    assert sum(not replayed(r) for r in responses) == 1
    assert await count(db, "sessions") == 1


@pytest.mark.parametrize(
    ("mistake", "status"),
    [
        pytest.param({"host_id": "host-2"}, 403, id="forbidden-in-transaction"),
        pytest.param({"max_participants": 0}, 400, id="invalid-body"),
    ],
)
async def test_failed_request_does_not_keep_the_key(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    mistake: dict[str, Any],
    status: int,
) -> None:
    failed = await post(client, tokens("host-1"), "fix-me", **mistake)
    assert failed.status_code == status
    corrected = await post(client, tokens("host-1"), "fix-me")
    assert corrected.status_code == 201, corrected.text
    assert not replayed(corrected)
    assert await count(db, "sessions") == 1


async def test_key_older_than_24_hours_has_expired(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    first = await post(client, tokens("host-1"), "daily")
    assert first.status_code == 201
    long_ago = datetime.now(UTC) - timedelta(hours=25)
    async with db.write() as conn:
        await conn.execute(
            Sql("UPDATE idempotency_keys SET created_at = :created, expires_at = :expires"),
            {"created": long_ago, "expires": long_ago + timedelta(hours=24)},
        )
    reused = await post(client, tokens("host-1"), "daily", title="Another day")
    assert reused.status_code == 201, reused.text
    assert not replayed(reused)
    assert reused.json()["id"] != first.json()["id"]
    assert await count(db, "sessions") == 2


async def test_keys_belong_to_their_caller(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    mine = await post(client, tokens("host-1"), "shared-key", host_id="host-1")
    theirs = await post(client, tokens("host-2"), "shared-key", host_id="host-2")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert not replayed(theirs)
    assert theirs.json()["host_id"] == "host-2"
    assert await count(db, "sessions") == 2
