"""Provider tokens are never stored (SPEC §11): the idempotent responses of join and call-token
keep no token, and a replay with the same Idempotency-Key mints a fresh one for the same call,
user and role."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from loop_live.platform.db import Database, Sql
from loop_live.platform.idempotency import request_hash
from tests.support.app import STREAM_SECRET
from tests.support.auth import BRAND, TOKENS
from tests.support.providers import assert_call_token, minutes_from_now
from tests.support.registrations import register

MEMBER = TOKENS("member-1")
SECRET_FIELDS = {"token", "expires_at"}


async def stored_responses(db: Database) -> list[bytes]:
    async with db.read() as conn:
        rows = await conn.fetch(Sql("SELECT response_body FROM idempotency_keys"))
    return [bytes(row["response_body"]) for row in rows]


async def audit_count(db: Database, action: str) -> int:
    async with db.read() as conn:
        count: int = await conn.fetchval(
            Sql("SELECT COUNT(*) FROM audit_log WHERE action = :action"), {"action": action}
        )
    return count


async def twice(client: httpx.AsyncClient, url: str, body: Any, headers: dict[str, str]) -> Any:
    """The same request twice with one Idempotency-Key, a second apart (JWTs carry seconds)."""
    keyed = {**headers, "Idempotency-Key": "same-key-1"}
    first = await client.post(url, json=body, headers=keyed)
    assert first.status_code == 200, first.text
    await asyncio.sleep(1.1)
    replay = await client.post(url, json=body, headers=keyed)
    assert replay.status_code == 200, replay.text
    assert replay.headers["Idempotent-Replayed"] == "true"
    return first.json(), replay.json()


async def test_join_replay_mints_a_fresh_token_and_stores_none(
    client: httpx.AsyncClient, new_session: Any, db: Database
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5))
    await register(client, session["id"], "member-1")

    first, replay = await twice(
        client, f"/v1/sessions/{session['id']}/join", {"user_id": "member-1"}, MEMBER
    )

    assert replay["token"] != first["token"]
    cid = f"livestream:{session['id']}"
    for body in (first, replay):
        assert_call_token(
            body["token"], STREAM_SECRET, user_id="member-1", call_cid=cid, role="user"
        )
    public = set(first) - SECRET_FIELDS
    assert {k: replay[k] for k in public} == {k: first[k] for k in public}
    [stored] = await stored_responses(db)
    assert first["token"].encode() not in stored
    assert replay["token"].encode() not in stored
    assert b"token" not in stored
    assert await audit_count(db, "session.join") == 1


async def test_call_token_replay_mints_a_fresh_token_and_stores_none(
    client: httpx.AsyncClient, db: Database
) -> None:
    body = {"host_user_id": "host-1", "title": "1:1", "participant_ids": ["member-1"]}
    created = await client.post("/v1/live/calls", json=body, headers=TOKENS("host-1"))
    call_id = created.json()["id"]

    first, replay = await twice(
        client,
        f"/v1/live/calls/{call_id}/token",
        {"user_id": "member-1", "ttl_seconds": 600},
        MEMBER,
    )

    assert replay["token"] != first["token"]
    cid = f"livestream:{call_id}"
    for minted in (first, replay):
        assert_call_token(
            minted["token"], STREAM_SECRET, user_id="member-1", call_cid=cid, role="user", ttl=600
        )
    assert {k: v for k, v in replay.items() if k != "token"} == {
        k: v for k, v in first.items() if k != "token"
    }
    [stored] = await stored_responses(db)
    assert b"token" not in stored
    assert first["token"].encode() not in stored
    assert await audit_count(db, "call.token") == 1


async def test_join_replay_after_the_registration_was_cancelled_is_refused(
    client: httpx.AsyncClient, new_session: Any
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5))
    await register(client, session["id"], "member-1")
    url, keyed = f"/v1/sessions/{session['id']}/join", {**MEMBER, "Idempotency-Key": "k-2"}
    assert (await client.post(url, json={"user_id": "member-1"}, headers=keyed)).status_code == 200
    cancel = await client.delete(f"/v1/sessions/{session['id']}/registrations", headers=MEMBER)
    assert cancel.status_code == 200, cancel.text

    replay = await client.post(url, json={"user_id": "member-1"}, headers=keyed)

    assert (replay.status_code, replay.json()["error"]) == (403, "forbidden")


async def test_a_response_stored_before_tokens_were_sealed_still_replays(
    client: httpx.AsyncClient, new_session: Any, db: Database
) -> None:
    session = await new_session(scheduled_at=minutes_from_now(5))
    await register(client, session["id"], "member-1")
    path, body = f"/v1/sessions/{session['id']}/join", b'{"user_id":"member-1"}'
    old = b'{"token":"old-plaintext","call_id":"c"}'
    async with db.write() as conn:
        await conn.execute(
            Sql("INSERT INTO idempotency_keys (principal, key, brand_id, request_hash,"
                " status_code, response_body, created_at, expires_at) VALUES (:p, 'k-old',"
                " :brand, :hash, 200, :body, :now, :later)"),
            {"p": f"{BRAND}/member-1", "brand": BRAND, "body": old, "now": datetime.now(UTC),
             "hash": request_hash("POST", path, body),
             "later": datetime.now(UTC) + timedelta(hours=1)},
        )  # fmt: skip

    replay = await client.post(path, content=body, headers={**MEMBER, "Idempotency-Key": "k-old"})

    assert replay.status_code == 200, replay.text
    assert replay.json() == {"token": "old-plaintext", "call_id": "c"}
