"""Broken bodies and odd query strings are 400s in the envelope, never 500s (SPEC §11)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support.auth import Tokens
from tests.support.errors import assert_envelope
from tests.support.sessions import create_session, session_body

JSON = {"Content-Type": "application/json"}


def nested(depth: int) -> bytes:
    """A session body whose metadata nests `depth` objects deep."""
    head = json.dumps(session_body())[:-1]
    return (head + ', "metadata": ' + '{"a":' * depth + "1" + "}" * depth + "}").encode()


BROKEN = [
    pytest.param(b'{"title": "\xff"}', id="invalid-utf8-in-a-string"),
    pytest.param(b'{"\xc3\x28": 1}', id="invalid-utf8-in-a-key"),
    pytest.param(b"\xef\xbb\xbf{}", id="byte-order-mark"),
    pytest.param(b"[" * 1000 + b"]" * 1000, id="array-1000-deep"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="array-100000-deep"),
    pytest.param(nested(1000), id="metadata-1000-deep"),
    pytest.param(nested(100_000), id="metadata-100000-deep"),
    pytest.param(b"[1, 2]", id="array"),
    pytest.param(b'"a session"', id="string"),
    pytest.param(b"42", id="number"),
    pytest.param(b"1e400", id="number-out-of-range"),
    pytest.param(b"true", id="boolean"),
]


def _routes(session_id: str) -> list[tuple[str, str]]:
    return [
        ("POST", "/v1/sessions"),
        ("PATCH", f"/v1/sessions/{session_id}"),
        ("PATCH", f"/v1/admin/sessions/{session_id}"),
        ("POST", f"/v1/sessions/{session_id}/register"),
        ("POST", f"/v1/sessions/{session_id}/join"),
        ("POST", "/v1/live/calls"),
    ]


@pytest.mark.parametrize("content", BROKEN)
async def test_a_broken_body_is_a_400_on_every_write_route(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, content: bytes
) -> None:
    session = await new_session()
    for method, path in _routes(session["id"]):
        response = await client.request(
            method, path, content=content, headers={**tokens.admin(), **JSON}
        )
        assert_envelope(response, 400, "validation_error")


async def test_metadata_nested_to_the_limit_is_stored_and_read_back(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    created = await client.post(
        "/v1/sessions", content=nested(31), headers={**tokens.admin(), **JSON}
    )
    assert created.status_code == 201, created.text

    view = await client.get(f"/v1/sessions/{created.json()['id']}", headers=tokens())
    depth, value = 0, view.json()["metadata"]
    while isinstance(value, dict):
        depth, value = depth + 1, value["a"]
    assert depth == 31
    too_deep = await client.post(
        "/v1/sessions", content=nested(32), headers={**tokens.admin(), **JSON}
    )
    assert "32 levels" in assert_envelope(too_deep, 400, "validation_error")


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": "Morning\x00mobility"},
        {"metadata": {"note": "a\x00b"}},
        {"metadata": {"a\x00": 1}},
        {"tags": ["yoga", "\x00"]},
        {"host_id": "\x00"},
    ],
    ids=["title", "metadata-value", "metadata-key", "tag", "host"],
)
async def test_a_nul_character_in_any_string_is_a_400(
    client: httpx.AsyncClient, tokens: Tokens, overrides: dict[str, Any]
) -> None:
    response = await create_session(client, tokens.admin(), **overrides)

    assert "NUL" in assert_envelope(response, 400, "validation_error")
    listed = await client.get("/v1/live/sessions", headers=tokens())
    assert listed.json()["sessions"] == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("tz=" + "a" * 300, "tz"),
        ("tz=Mars/Olympus_Mons", "tz"),
        ("tz=Europe%00Paris", "tz"),
        ("tz=../../../../etc/passwd", "tz"),
        ("tz=Europe/../Europe/Paris", "tz"),
        ("tz=/usr/share/zoneinfo/UTC", "tz"),
        ("tz=%FF%FE", "tz"),
        ("limit=" + "9" * 400, "limit"),
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("cursor=%C3%A9t%C3%A9.%E2%98%83", "cursor"),
        ("cursor=" + "\u00e9" * 600, "cursor"),
        ("tz=UTC&tz=Europe/Paris", "tz"),
        ("limit=1&limit=1", "limit"),
        ("status=live&status=ended", "status"),
        ("month=2030-01&month=2030-02", "month"),
        ("category=yoga%00", "category"),
    ],
)
async def test_an_unusable_query_parameter_is_a_400_naming_it(
    client: httpx.AsyncClient, tokens: Tokens, query: str, parameter: str
) -> None:
    response = await client.get(f"/v1/live/sessions?{query}", headers=tokens())

    assert parameter in assert_envelope(response, 400, "validation_error")


@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires"])
async def test_iana_zone_names_are_still_accepted(
    client: httpx.AsyncClient, tokens: Tokens, tz: str
) -> None:
    response = await client.get(f"/v1/live/sessions?month=2030-01&tz={tz}", headers=tokens())

    assert response.status_code == 200, response.text


async def test_a_repeated_parameter_on_the_admin_registration_list_is_a_400(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    response = await client.get(
        f"/v1/admin/sessions/{session['id']}/registrations?limit=5&limit=500",
        headers=tokens.admin(),
    )

    assert "limit" in assert_envelope(response, 400, "validation_error")
