"""Refusals of the session lists (SPEC §4, §6): every malformed parameter is a 400
`validation_error` that names it, never a 500; missing tokens, scopes and foreign brands."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import httpx
import pytest

from loop_live.platform.db import Database
from tests.support.auth import OTHER_BRAND, Tokens
from tests.support.sessions import ADMIN, LIVE, at, insert_rows, list_page, session_row

BAD_PARAMETERS = [
    ({"status": "postponed"}, "status"),
    ({"status": "live,postponed"}, "status"),
    ({"status": "live,"}, "status"),
    ({"status": ""}, "status"),
    ({"kind": "webinar"}, "kind"),
    ({"kind": ""}, "kind"),
    ({"month": "2024-13"}, "month"),
    ({"month": "2024-00"}, "month"),
    ({"month": "2024-1"}, "month"),
    ({"month": "abc"}, "month"),
    ({"month": "2024/01"}, "month"),
    ({"month": "2024-01-01"}, "month"),
    ({"month": "２０２４-０１"}, "month"),  # full-width digits  # noqa: RUF001
    ({"month": "9999-12"}, "month"),  # the month's end is past the last representable instant
    ({"month": "0001-01", "tz": "Asia/Tokyo"}, "month"),  # its start is before the first one
    ({"month": "2024-01", "tz": "Mars/Olympus_Mons"}, "tz"),
    ({"tz": "Not/AZone"}, "tz"),
    ({"tz": "../../etc/passwd"}, "tz"),
    ({"upcoming": "yes"}, "upcoming"),
    ({"upcoming": ""}, "upcoming"),
    ({"upcoming_only": "2"}, "upcoming_only"),
    ({"upcoming": "true", "upcoming_only": "false"}, "upcoming_only"),
    ({"limit": "0"}, "limit"),
    ({"limit": "101"}, "limit"),
    ({"limit": "-1"}, "limit"),
    ({"limit": "abc"}, "limit"),
    ({"limit": "1.5"}, "limit"),
    ({"host_id": "host-1", "host_user_id": "host-2"}, "host_user_id"),
    # PostgreSQL text cannot hold NUL; such filters once reached the driver and failed with 500.
    ({"category": "sleep\x00"}, "category"),
    ({"community_id": "\x00"}, "community_id"),
    ({"host_id": "host-1\x00"}, "host_id"),
    ({"host_user_id": "\x00"}, "host_user_id"),
    ({"cursor": "abc"}, "cursor"),
    ({"cursor": "not-a-cursor.at-all"}, "cursor"),
    ({"cursor": "Zm9v.YmFy"}, "cursor"),
    ({"cursor": "é" * 8}, "cursor"),
    ({"cursor": "A" * 2000}, "cursor"),
]
ADMIN_BAD_PARAMETERS = [
    ({"status": "postponed"}, "status"),
    ({"kind": "webinar"}, "kind"),
    ({"limit": "101"}, "limit"),
    ({"cursor": "abc"}, "cursor"),
]


def assert_rejects(response: httpx.Response, parameter: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    named = re.compile(rf"\b{parameter}\b")
    assert named.search(body["message"]) or named.search(json.dumps(body.get("details"))), body


@pytest.mark.parametrize(("params", "parameter"), BAD_PARAMETERS)
async def test_malformed_parameter_is_a_validation_error_naming_it(
    client: httpx.AsyncClient, tokens: Tokens, params: dict[str, str], parameter: str
) -> None:
    response = await client.get(LIVE, params=params, headers=tokens())
    assert_rejects(response, parameter)


@pytest.mark.parametrize(("params", "parameter"), ADMIN_BAD_PARAMETERS)
async def test_admin_list_rejects_malformed_parameters_the_same_way(
    client: httpx.AsyncClient, tokens: Tokens, params: dict[str, str], parameter: str
) -> None:
    response = await client.get(ADMIN, params=params, headers=tokens.admin())
    assert_rejects(response, parameter)


def flip(character: str) -> str:
    return "B" if character == "A" else "A"


def tampered(cursor: str) -> dict[str, str]:
    """Ways a client could alter a cursor it was given; the last moves its position back."""
    payload, _, signature = cursor.partition(".")
    position = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    position[0] = "2000-01-01T00:00:00+00:00"
    moved = base64.urlsafe_b64encode(json.dumps(position).encode()).rstrip(b"=").decode()
    return {
        "first-character-changed": flip(cursor[0]) + cursor[1:],
        "last-character-changed": cursor[:-1] + flip(cursor[-1]),
        "signature-dropped": payload,
        "truncated": cursor[:-1],
        "extended": cursor + "A",
        "position-moved": f"{moved}.{signature}",
    }


async def test_tampered_cursor_is_refused(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    start = at("2030-05-01T08:00:00+00:00")
    await insert_rows(db, "sessions", [session_row(f"s{n}", start + timedelta(hours=n))
                                       for n in range(3)])  # fmt: skip
    cursor = (await list_page(client, tokens(), limit=1))["next_cursor"]
    assert cursor is not None
    followed = await list_page(client, tokens(), limit=1, cursor=cursor)
    assert [s["title"] for s in followed["sessions"]] == ["s1"]
    for how, forged in tampered(cursor).items():
        response = await client.get(LIVE, params={"cursor": forged}, headers=tokens())
        assert response.status_code == 400, how
        assert_rejects(response, "cursor")


@pytest.mark.parametrize("path", [LIVE, ADMIN])
@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "unauthenticated"),
        ({"Authorization": "Bearer not-a-jwt"}, "unauthenticated"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, "unauthenticated"),
    ],
)
async def test_list_without_a_usable_token_is_401(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], code: str
) -> None:
    response = await client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == code


async def test_list_with_an_expired_token_is_401_invalid_token(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.get(LIVE, headers=tokens(ttl=-3600))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("path", [LIVE, ADMIN])
async def test_brand_token_naming_another_brand_is_403_forbidden(
    client: httpx.AsyncClient, tokens: Tokens, path: str
) -> None:
    response = await client.get(path, params={"brand_id": OTHER_BRAND}, headers=tokens.admin())
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


@pytest.mark.parametrize("params", [{}, {"brand_id": ""}, {"brand_id": "brand-b\x00"}])
async def test_service_token_must_name_a_usable_brand(
    client: httpx.AsyncClient, tokens: Tokens, params: dict[str, str]
) -> None:
    headers = tokens("svc-1", "read:live", brand=None)
    assert_rejects(await client.get(LIVE, params=params, headers=headers), "brand_id")


@pytest.mark.parametrize(
    "scopes", [(), ("manage:live",), ("read:live", "write:live", "manage:live")]
)
async def test_admin_list_without_admin_scope_is_403(
    client: httpx.AsyncClient, tokens: Tokens, scopes: tuple[str, ...]
) -> None:
    response = await client.get(ADMIN, headers=tokens("member-1", *scopes))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


@pytest.mark.parametrize("scope", ["admin:live", "admin:*"])
async def test_admin_list_is_open_to_admin_scopes(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, scope: str
) -> None:
    await insert_rows(db, "sessions", [session_row("any", at("2030-05-01T08:00:00+00:00"))])
    body = await list_page(client, tokens("ops-1", scope), ADMIN)
    assert [s["title"] for s in body["sessions"]] == ["any"]


async def test_list_without_read_scope_is_403(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.get(LIVE, headers=tokens("member-1", "write:live"))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
