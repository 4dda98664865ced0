"""/v1/live/calls per the published contract: create, read (with the provider's live state),
tokens and ending, on the embedded `local` provider and on `getstream` against a local fake."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database
from tests.support.app import STREAM_SECRET
from tests.support.auth import OTHER_BRAND, TOKENS, Tokens
from tests.support.calls import BODY, HOST, MANAGER, create_call, mint, new_call
from tests.support.contract import assert_matches, response_schema, schema_errors
from tests.support.databases import count
from tests.support.errors import assert_error
from tests.support.providers import Stream, assert_call_token, provider_calls

CREATE = "POST /v1/live/calls"
GET = "GET /v1/live/calls/{id}"
TOKEN = "POST /v1/live/calls/{id}/token"
END = "POST /v1/live/calls/{id}/end"


def created_schema() -> dict[str, Any]:
    """The published 201 schema, its cut-off `required` list completed by analogy with /end:
    every one of its 13 properties."""
    schema = response_schema(CREATE, 201)
    completed = {k: v for k, v in schema.items() if k != "incomplete"}
    completed["required"] = list(schema["properties"])
    assert len(completed["required"]) == 13
    assert completed["required"] == response_schema(END)["required"]
    return completed


async def end(
    client: httpx.AsyncClient, call_id: str, headers: dict[str, str] = HOST
) -> httpx.Response:
    return await client.post(f"/v1/live/calls/{call_id}/end", headers=headers)


async def read(client: httpx.AsyncClient, call_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/live/calls/{call_id}", headers=HOST)
    assert response.status_code == 200, response.text
    assert_matches(response.json(), GET)
    call: dict[str, Any] = response.json()
    return call


async def test_host_creates_a_call_in_the_published_shape(client: httpx.AsyncClient) -> None:
    response = await create_call(client)

    assert response.status_code == 201, response.text
    call = response.json()
    assert not schema_errors(call, created_schema()), schema_errors(call, created_schema())
    assert call["host_user_id"] == "host-1"
    assert call["title"] == BODY["title"]
    assert datetime.fromisoformat(call["scheduled_at"]) == datetime.fromisoformat(
        "2030-03-01T14:30:00+00:00"
    )
    assert datetime.fromisoformat(call["scheduled_at"]).utcoffset() == timedelta(0)
    assert call["status"] == "scheduled"
    assert call["stream_call_type"] == "livestream"
    assert call["stream_call_id"] == call["id"]
    assert (call["started_at"], call["ended_at"], call["recording_url"]) == (None, None, None)
    assert call["metadata"] == BODY["metadata"]


async def test_created_call_reads_back_with_the_local_live_state(
    client: httpx.AsyncClient,
) -> None:
    created = await new_call(client)

    call = await read(client, created["id"])

    assert {k: v for k, v in call.items() if k != "live"} == created
    assert call["live"] == {"is_live": False, "current_session_id": None, "ended_at": None}


async def test_call_without_a_schedule_or_metadata_is_created(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/live/calls", json={"host_user_id": "host-1", "title": "Quick 1:1"}, headers=HOST
    )

    assert response.status_code == 201, response.text
    assert response.json()["scheduled_at"] is None
    assert not schema_errors(response.json(), created_schema())


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": ""},
        {"host_user_id": ""},
        {"scheduled_at": "2030-03-01T09:30:00"},
        {"scheduled_at": "soon"},
        {"status": "live"},
        {"metadata": ["not", "an", "object"]},
    ],
    ids=["empty title", "empty host", "no offset", "not a date", "unknown field", "metadata list"],
)
async def test_malformed_create_body_is_a_validation_error(
    client: httpx.AsyncClient, db: Database, overrides: dict[str, Any]
) -> None:
    assert_error(await create_call(client, **overrides), 400, "validation_error")
    assert await count(db, "calls") == 0


async def test_only_manage_live_creates_a_call_for_another_host(
    client: httpx.AsyncClient, db: Database
) -> None:
    assert_error(await create_call(client, TOKENS("member-1")), 403, "forbidden")
    assert_error(
        await create_call(client, TOKENS("host-1", "read:live")), 403, "insufficient_scope"
    )
    assert await count(db, "calls") == 0

    by_manager = await create_call(client, MANAGER)
    assert by_manager.status_code == 201, by_manager.text
    assert by_manager.json()["host_user_id"] == "host-1"


@pytest.mark.parametrize(
    ("caller", "user", "role"),
    [("host-1", "host-1", "host"), ("host-1", "member-2", "user"),
     ("member-2", "member-2", "user"), ("manager-1", "member-3", "user")],
)  # fmt: skip
async def test_token_carries_the_call_and_the_role_of_its_user(
    client: httpx.AsyncClient, caller: str, user: str, role: str
) -> None:
    call = await new_call(client, participant_ids=["member-2"])
    headers = MANAGER if caller == "manager-1" else TOKENS(caller)

    response = await mint(client, call["id"], headers, user_id=user, ttl_seconds=900)

    assert response.status_code == 200, response.text
    assert_matches(response.json(), TOKEN)
    body = response.json()
    assert (body["stream_call_id"], body["stream_call_type"]) == (call["id"], "livestream")
    assert body["expires_in_seconds"] == 900
    cid = f"livestream:{call['id']}"
    assert_call_token(body["token"], STREAM_SECRET, user_id=user, call_cid=cid, role=role, ttl=900)


async def test_token_lives_an_hour_unless_asked_otherwise(client: httpx.AsyncClient) -> None:
    call = await new_call(client)

    response = await mint(client, call["id"], user_id="host-1")

    assert response.status_code == 200, response.text
    assert response.json()["expires_in_seconds"] == 3600
    cid = f"livestream:{call['id']}"
    assert_call_token(response.json()["token"], STREAM_SECRET, user_id="host-1", call_cid=cid,
                      role="host", ttl=3600)  # fmt: skip


@pytest.mark.parametrize("ttl", [1, 86_400])
async def test_token_ttl_at_the_bounds_is_accepted(client: httpx.AsyncClient, ttl: int) -> None:
    call = await new_call(client)

    response = await mint(client, call["id"], user_id="host-1", ttl_seconds=ttl)

    assert response.status_code == 200, response.text
    assert response.json()["expires_in_seconds"] == ttl


@pytest.mark.parametrize(
    "body",
    [{"user_id": "host-1", "ttl_seconds": 0}, {"user_id": "host-1", "ttl_seconds": 86_401},
     {"user_id": "host-1", "ttl_seconds": -60}, {"user_id": "host-1", "ttl_seconds": 1.5},
     {"user_id": ""}, {}, {"user_id": "host-1", "role": "host"}],
    ids=["ttl 0", "ttl 86401", "negative ttl", "fractional ttl", "empty user", "no user",
         "unknown field"],
)  # fmt: skip
async def test_malformed_token_request_is_a_validation_error(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    call = await new_call(client)

    assert_error(await mint(client, call["id"], **body), 400, "validation_error")


async def test_only_the_host_or_manage_live_mints_tokens_for_others(
    client: httpx.AsyncClient,
) -> None:
    call = await new_call(client)

    response = await mint(client, call["id"], TOKENS("member-2"), user_id="member-3")

    assert_error(response, 403, "forbidden")


async def test_host_ends_the_call_and_ending_again_is_harmless(client: httpx.AsyncClient) -> None:
    call = await new_call(client)

    first = await end(client, call["id"])

    assert first.status_code == 200, first.text
    assert_matches(first.json(), END)
    ended = first.json()
    assert ended["status"] == "ended"
    assert ended["ended_at"] is not None
    assert (await read(client, call["id"]))["live"]["ended_at"] == ended["ended_at"]

    second = await end(client, call["id"])

    assert second.status_code == 200, second.text
    assert second.json()["status"] == "ended"
    assert second.json()["ended_at"] == ended["ended_at"]


async def test_only_the_host_or_manage_live_ends_a_call(client: httpx.AsyncClient) -> None:
    call = await new_call(client)

    assert_error(await end(client, call["id"], TOKENS("member-2")), 403, "forbidden")
    assert (await read(client, call["id"]))["status"] == "scheduled"

    by_manager = await end(client, call["id"], MANAGER)
    assert by_manager.status_code == 200, by_manager.text
    assert by_manager.json()["status"] == "ended"


async def test_unknown_malformed_or_other_brand_call_is_not_found(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    elsewhere = await new_call(client, headers=tokens.admin(brand=OTHER_BRAND))

    for call_id in (str(uuid.uuid4()), "not-a-uuid", elsewhere["id"]):
        got = await client.get(f"/v1/live/calls/{call_id}", headers=MANAGER)
        assert_error(got, 404, "not_found")
        assert_error(await mint(client, call_id, MANAGER, user_id="host-1"), 404, "not_found")
        assert_error(await end(client, call_id, MANAGER), 404, "not_found")


async def test_getstream_call_is_created_read_and_ended_at_the_provider(
    stream: Stream,
) -> None:
    fake, client = stream

    call = await new_call(client)

    path = f"/api/v2/video/call/livestream/{call['id']}"
    assert provider_calls(fake) == [f"POST {path}"]
    assert fake.requests[0].json["data"]["created_by_id"] == "host-1"
    assert not schema_errors(call, created_schema())
    live = await read(client, call["id"])
    assert live["live"] == {"is_live": False, "current_session_id": None, "ended_at": None}

    ended = await end(client, call["id"])
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "ended"
    assert provider_calls(fake, "/mark_ended") == [f"POST {path}/mark_ended"]
    assert (await read(client, call["id"]))["live"]["ended_at"] is not None

    again = await end(client, call["id"])
    assert again.status_code == 200, again.text
    assert len(provider_calls(fake, "/mark_ended")) == 1, "an ended call is not ended twice"


async def test_getstream_token_is_minted_by_the_sdk_with_the_app_secret(stream: Stream) -> None:
    fake, client = stream
    call = await new_call(client)
    reached = len(fake.requests)

    response = await mint(client, call["id"], user_id="member-2", ttl_seconds=120)

    assert response.status_code == 200, response.text
    assert_matches(response.json(), TOKEN)
    cid = f"livestream:{call['id']}"
    assert_call_token(response.json()["token"], fake.api_secret, user_id="member-2",
                      call_cid=cid, role="user", ttl=120)  # fmt: skip
    assert len(fake.requests) == reached, "minting a token needs no provider round trip"


async def test_getstream_failure_on_create_is_a_502_and_writes_nothing(
    stream: Stream, db: Database
) -> None:
    fake, client = stream
    fake.fail_next(500)

    assert_error(await create_call(client), 502, "provider_error")
    assert await count(db, "calls") == 0


async def test_getstream_failure_on_end_is_a_502_and_the_call_stays_open(stream: Stream) -> None:
    fake, client = stream
    call = await new_call(client)
    fake.fail_next(500)

    assert_error(await end(client, call["id"]), 502, "provider_error")
    after = await read(client, call["id"])
    assert (after["status"], after["ended_at"]) == ("scheduled", None)

    retried = await end(client, call["id"])
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "ended"


async def test_getstream_failure_while_reading_gives_the_row_without_live_state(
    stream: Stream,
) -> None:
    fake, client = stream
    call = await new_call(client)
    fake.fail_next(503)

    response = await read(client, call["id"])

    assert response["live"] is None
    assert response["status"] == "scheduled"
