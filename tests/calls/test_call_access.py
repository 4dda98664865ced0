"""Who may read an ad-hoc call and mint a token for it (SPEC §11): its host, the users named in
`participant_ids`, and manage:live; any other member of the brand is refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.app import STREAM_SECRET
from tests.support.auth import TOKENS
from tests.support.calls import HOST, MANAGER, mint, new_call
from tests.support.providers import assert_call_token

PATIENT = TOKENS("patient-7")
STRANGER = TOKENS("member-9")


async def one_to_one(client: httpx.AsyncClient) -> dict[str, Any]:
    return await new_call(client, participant_ids=["patient-7", "patient-7"])


async def test_participants_are_stored_once_and_returned_on_the_call(
    client: httpx.AsyncClient,
) -> None:
    call = await one_to_one(client)

    assert call["participant_ids"] == ["patient-7"]
    without = await new_call(client)
    assert without["participant_ids"] == []


@pytest.mark.parametrize(
    "headers", [HOST, PATIENT, MANAGER], ids=["host", "participant", "manager"]
)
async def test_host_participant_and_manager_read_the_call(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    call = await one_to_one(client)

    response = await client.get(f"/v1/live/calls/{call['id']}", headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["participant_ids"] == ["patient-7"]


async def test_another_member_of_the_brand_cannot_read_or_join_a_one_to_one_call(
    client: httpx.AsyncClient,
) -> None:
    call = await one_to_one(client)

    read = await client.get(f"/v1/live/calls/{call['id']}", headers=STRANGER)
    minted = await mint(client, call["id"], STRANGER, user_id="member-9")

    assert (read.status_code, read.json()["error"]) == (403, "forbidden")
    assert (minted.status_code, minted.json()["error"]) == (403, "forbidden")
    assert "token" not in minted.json()


async def test_participant_mints_a_user_token_for_themselves(client: httpx.AsyncClient) -> None:
    call = await one_to_one(client)

    response = await mint(client, call["id"], PATIENT, user_id="patient-7")

    assert response.status_code == 200, response.text
    cid = f"livestream:{call['id']}"
    token = response.json()["token"]
    assert_call_token(token, STREAM_SECRET, user_id="patient-7", call_cid=cid, role="user")


@pytest.mark.parametrize("user", ["host-1", "member-9"])
async def test_participant_cannot_mint_a_token_for_anyone_else(
    client: httpx.AsyncClient, user: str
) -> None:
    call = await one_to_one(client)

    response = await mint(client, call["id"], PATIENT, user_id=user)

    assert (response.status_code, response.json()["error"]) == (403, "forbidden")


async def test_participant_cannot_end_the_call(client: httpx.AsyncClient) -> None:
    call = await one_to_one(client)

    response = await client.post(f"/v1/live/calls/{call['id']}/end", headers=PATIENT)

    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    read = await client.get(f"/v1/live/calls/{call['id']}", headers=HOST)
    assert read.json()["status"] == "scheduled"


@pytest.mark.parametrize(
    "participants",
    [[""], ["x" * 129], ["p"] * 101, "patient-7", [7]],
    ids=["empty-id", "long-id", "too-many", "not-a-list", "not-a-string"],
)
async def test_malformed_participant_ids_are_a_validation_error(
    client: httpx.AsyncClient, participants: Any
) -> None:
    body = {"host_user_id": "host-1", "title": "1:1", "participant_ids": participants}

    response = await client.post("/v1/live/calls", json=body, headers=HOST)

    assert (response.status_code, response.json()["error"]) == (400, "validation_error")
