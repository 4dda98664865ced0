"""The `getstream` provider through the app, against a local fake of GetStream's REST API: the
call created on first join, SDK-minted tokens, provider failures and timeouts as 502s, the
circuit breaker, and 503 when GetStream is selected but not configured."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.support.app import app_client
from tests.support.auth import TOKENS
from tests.support.providers import (
    Stream,
    assert_call_token,
    join,
    minutes_from_now,
    provider_calls,
    stored_call,
)
from tests.support.registrations import register


async def joinable_session(client: httpx.AsyncClient, new_session: Any) -> str:
    """A session starting in five minutes, with member-1 registered."""
    session = await new_session(scheduled_at=minutes_from_now(5))
    await register(client, session["id"], "member-1")
    session_id: str = session["id"]
    return session_id


def assert_provider_error(response: httpx.Response) -> None:
    assert response.status_code == 502, response.text
    assert response.json()["error"] == "provider_error"


async def test_first_join_creates_the_call_at_getstream_and_later_joins_reuse_it(
    stream: Stream, new_session: Any
) -> None:
    fake, client = stream
    session_id = await joinable_session(client, new_session)
    cid = f"livestream:{session_id}"

    host = await join(client, session_id, "host-1")

    assert host.status_code == 200, host.text
    assert provider_calls(fake) == [f"POST /api/v2/video/call/livestream/{session_id}"]
    created = fake.requests[0].json["data"]
    assert created["created_by_id"] == "host-1"
    assert created["custom"]["session_id"] == session_id
    assert cid in fake.calls
    body = host.json()
    assert (body["call_id"], body["call_type"], body["api_key"]) == (
        session_id, "livestream", fake.api_key,
    )  # fmt: skip
    assert_call_token(body["token"], fake.api_secret, user_id="host-1", call_cid=cid, role="host")
    assert await stored_call(client, session_id) == cid

    member = await join(client, session_id, "member-1")

    assert member.status_code == 200, member.text
    assert len(fake.requests) == 1, "the second join must reuse the stored call"
    token = member.json()["token"]
    assert_call_token(token, fake.api_secret, user_id="member-1", call_cid=cid, role="user")


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500},
        {"status": 502, "body": "<html>bad gateway</html>"},
        {"status": 503, "body": {"unexpected": "shape"}},
        {"status": 429, "headers": {"Retry-After": "3"}},
        {"status": 401},
    ],
    ids=["500", "502 html", "503 foreign json", "429", "401"],
)
async def test_provider_failure_on_first_join_is_a_502_and_stores_no_call(
    stream: Stream, new_session: Any, fault: dict[str, Any]
) -> None:
    fake, client = stream
    session_id = await joinable_session(client, new_session)
    fake.fail_next(**fault)

    assert_provider_error(await join(client, session_id, "member-1"))
    assert await stored_call(client, session_id) is None

    retried = await join(client, session_id, "member-1")
    assert retried.status_code == 200, retried.text
    assert await stored_call(client, session_id) == f"livestream:{session_id}"


async def test_provider_slower_than_the_timeout_is_a_prompt_502(
    stream: Stream, new_session: Any
) -> None:
    fake, client = stream
    session_id = await joinable_session(client, new_session)
    fake.delay_next(30.0)

    started = time.monotonic()
    response = await join(client, session_id, "host-1")

    assert time.monotonic() - started < 5
    assert_provider_error(response)
    assert await stored_call(client, session_id) is None


async def test_after_five_consecutive_failures_joins_fail_fast_without_calling_getstream(
    stream: Stream, new_session: Any
) -> None:
    fake, client = stream
    session_id = await joinable_session(client, new_session)
    fake.fail_next(500, times=5)
    for _ in range(5):
        assert_provider_error(await join(client, session_id, "host-1"))
    assert len(fake.requests) == 5

    for user in ("host-1", "member-1"):
        assert_provider_error(await join(client, session_id, user))
    created = await client.post(
        "/v1/live/calls", json={"host_user_id": "host-1", "title": "1:1"}, headers=TOKENS("host-1")
    )

    assert_provider_error(created)
    assert len(fake.requests) == 5, "an open breaker must not reach the provider"
    assert await stored_call(client, session_id) is None


async def test_getstream_without_credentials_answers_503_on_join_and_calls(
    client: httpx.AsyncClient, database_url: str, new_session: Any
) -> None:
    session_id = await joinable_session(client, new_session)
    host = TOKENS("host-1")
    made = await client.post(
        "/v1/live/calls", json={"host_user_id": "host-1", "title": "1:1"}, headers=host
    )
    assert made.status_code == 201, made.text
    call = made.json()["id"]

    async with app_client(database_url, stream_provider="getstream") as unconfigured:
        responses = {
            "join": await join(unconfigured, session_id, "host-1"),
            "create": await unconfigured.post(
                "/v1/live/calls", json={"host_user_id": "host-1", "title": "x"}, headers=host
            ),
            "token": await unconfigured.post(
                f"/v1/live/calls/{call}/token", json={"user_id": "host-1"}, headers=host
            ),
            "end": await unconfigured.post(f"/v1/live/calls/{call}/end", headers=host),
        }

    for name, response in responses.items():
        assert response.status_code == 503, f"{name}: {response.text}"
        assert response.json()["error"] == "provider_not_configured", name
    assert await stored_call(client, session_id) is None
    after = await client.get(f"/v1/live/calls/{call}", headers=host)
    assert after.json()["status"] == "scheduled"
