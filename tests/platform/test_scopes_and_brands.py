"""SPEC §6: what each scope allows, and how a token's brand fences what it sees and changes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.auth import BRAND, OTHER_BRAND, Tokens
from tests.support.errors import assert_error
from tests.support.sessions import admin_view, create_session

LIST = "/v1/live/sessions"
ADMIN_LIST = "/v1/admin/sessions"


async def listed_ids(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> list[str]:
    response = await client.get(LIST, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()["sessions"]]


# --- scopes -------------------------------------------------------------------------------------


async def test_read_scope_lists_and_gets_but_cannot_create(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    reader = tokens("member-1", "read:live")
    assert await listed_ids(client, reader) == [session["id"]]
    got = await client.get(f"/v1/sessions/{session['id']}", headers=reader)
    assert got.status_code == 200, got.text
    refused = await create_session(client, reader, host_id="member-1")
    body = assert_error(refused, 403, "insufficient_scope")
    assert "write:live" in body["message"]


async def test_write_scope_creates_and_edits_own_session_but_cannot_list(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    writer = tokens("host-1", "write:live")
    created = await create_session(client, writer, host_id="host-1")
    assert created.status_code == 201, created.text
    edited = await client.patch(
        f"/v1/sessions/{created.json()['id']}", json={"title": "Renamed"}, headers=writer
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "Renamed"
    assert_error(await client.get(LIST, headers=writer), 403, "insufficient_scope")


async def test_write_scope_cannot_create_for_another_host_or_edit_their_session(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    writer = tokens("member-1", "write:live")
    assert_error(await create_session(client, writer, host_id="host-1"), 403, "forbidden")
    theirs = await new_session(host_id="host-1", title="Theirs")
    edit = await client.patch(
        f"/v1/sessions/{theirs['id']}", json={"title": "Mine"}, headers=writer
    )
    assert_error(edit, 403, "forbidden")
    assert (await admin_view(client, tokens, theirs["id"], theirs["brand_id"]))["title"] == "Theirs"


async def test_co_host_with_write_scope_may_edit_the_session(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session(host_id="host-1", co_host_ids=["host-2"])
    edit = await client.patch(
        f"/v1/sessions/{session['id']}",
        json={"title": "Co-hosted"},
        headers=tokens("host-2", "write:live"),
    )
    assert edit.status_code == 200, edit.text
    seen = await admin_view(client, tokens, session["id"], session["brand_id"])
    assert seen["title"] == "Co-hosted"


async def test_manage_scope_reads_and_writes_any_session_of_the_brand(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    manager = tokens("manager-1", "manage:live")
    created = await create_session(client, manager, host_id="host-7")
    assert created.status_code == 201, created.text
    assert created.json()["host_id"] == "host-7"
    other = await new_session(host_id="host-1")
    edit = await client.patch(
        f"/v1/sessions/{other['id']}", json={"title": "Managed"}, headers=manager
    )
    assert edit.status_code == 200, edit.text
    assert sorted(await listed_ids(client, manager)) == sorted([created.json()["id"], other["id"]])


@pytest.mark.parametrize("scopes", [("manage:live",), ("read:live", "write:live")])
async def test_admin_routes_need_admin_scope(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, scopes: tuple[str, ...]
) -> None:
    session = await new_session()
    caller = tokens("manager-1", *scopes)
    body = assert_error(await client.get(ADMIN_LIST, headers=caller), 403, "insufficient_scope")
    assert "admin:live" in body["message"]
    patch = await client.patch(
        f"/v1/admin/sessions/{session['id']}", json={"status": "cancelled"}, headers=caller
    )
    assert_error(patch, 403, "insufficient_scope")
    seen = await admin_view(client, tokens, session["id"], session["brand_id"])
    assert seen["status"] == "scheduled"


async def test_admin_scope_opens_the_admin_routes(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    admin = tokens("admin-1", "admin:live")
    listing = await client.get(ADMIN_LIST, headers=admin)
    assert listing.status_code == 200, listing.text
    assert [s["id"] for s in listing.json()["sessions"]] == [session["id"]]
    patch = await client.patch(
        f"/v1/admin/sessions/{session['id']}", json={"status": "cancelled"}, headers=admin
    )
    assert patch.status_code == 200, patch.text
    assert patch.json()["status"] == "cancelled"


async def test_admin_wildcard_satisfies_every_scope(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    root = tokens("root-1", "admin:*")
    created = await create_session(client, root, host_id="host-3")
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    assert await listed_ids(client, root) == [session_id]
    edit = await client.patch(f"/v1/sessions/{session_id}", json={"title": "Edited"}, headers=root)
    assert edit.status_code == 200, edit.text
    admin_list = await client.get(ADMIN_LIST, headers=root)
    assert [s["id"] for s in admin_list.json()["sessions"]] == [session_id]
    cancel = await client.patch(
        f"/v1/admin/sessions/{session_id}", json={"status": "cancelled"}, headers=root
    )
    assert cancel.json()["status"] == "cancelled"


@pytest.mark.parametrize("scope", ["live:read", "read:*", "read:calls", "admin:other", "admin"])
async def test_lookalike_scopes_grant_nothing(
    client: httpx.AsyncClient, tokens: Tokens, scope: str
) -> None:
    assert_error(
        await client.get(LIST, headers=tokens("member-1", scope)), 403, "insufficient_scope"
    )


# --- brands -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "template", "body"),
    [
        ("GET", "/v1/sessions/{}", None),
        ("PATCH", "/v1/sessions/{}", {"title": "Hijacked"}),
        ("POST", "/v1/sessions/{}/register", {"patient_id": "admin-1"}),
        ("POST", "/v1/sessions/{}/registrations", None),
        ("DELETE", "/v1/sessions/{}/registrations", None),
        ("POST", "/v1/sessions/{}/join", {"user_id": "admin-1"}),
        ("PATCH", "/v1/admin/sessions/{}", {"status": "cancelled"}),
        ("GET", "/v1/admin/sessions/{}/registrations", None),
    ],
)
async def test_another_brands_session_is_not_found_and_unchanged(
    client: httpx.AsyncClient,
    tokens: Tokens,
    new_session: Any,
    method: str,
    template: str,
    body: dict[str, str] | None,
) -> None:
    foreign = await new_session(brand_id=OTHER_BRAND, title="Theirs")
    path = template.format(foreign["id"])
    response = await client.request(method, path, json=body, headers=tokens.admin(brand=BRAND))
    assert_error(response, 404, "not_found")
    after = await admin_view(client, tokens, foreign["id"], foreign["brand_id"])
    assert (after["title"], after["status"], after["registered_count"]) == (
        "Theirs",
        "scheduled",
        0,
    )


@pytest.mark.parametrize("path", [LIST, ADMIN_LIST])
async def test_brand_filter_naming_another_brand_is_forbidden(
    client: httpx.AsyncClient, tokens: Tokens, path: str
) -> None:
    response = await client.get(path, params={"brand_id": OTHER_BRAND}, headers=tokens.admin())
    assert_error(response, 403, "forbidden")


async def test_brand_filter_naming_the_tokens_own_brand_is_allowed(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    own = await new_session()
    assert await listed_ids(client, tokens(), brand_id=BRAND) == [own["id"]]


async def test_brand_header_naming_another_brand_is_forbidden_for_a_brand_token(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = {**tokens(), "X-Brand-Id": OTHER_BRAND}
    assert_error(await client.get(LIST, headers=headers), 403, "forbidden")


async def test_create_naming_another_brand_is_forbidden_and_creates_nothing(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await create_session(client, tokens.admin(brand=BRAND), brand_id=OTHER_BRAND)
    assert_error(response, 403, "forbidden")
    assert await listed_ids(client, tokens(brand=OTHER_BRAND)) == []


@pytest.mark.parametrize(
    "brand_by",
    [{"headers": {"X-Brand-Id": OTHER_BRAND}}, {"params": {"brand_id": OTHER_BRAND}}],
    ids=["header", "parameter"],
)
async def test_service_token_lists_the_brand_it_names(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, brand_by: dict[str, Any]
) -> None:
    await new_session(brand_id=BRAND)
    theirs = await new_session(brand_id=OTHER_BRAND)
    service = tokens("svc-1", "read:live", brand=None)
    headers = {**service, **brand_by.get("headers", {})}
    response = await client.get(LIST, headers=headers, params=brand_by.get("params"))
    assert response.status_code == 200, response.text
    assert [s["id"] for s in response.json()["sessions"]] == [theirs["id"]]


async def test_service_token_gets_a_session_of_the_brand_it_names(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    theirs = await new_session(brand_id=OTHER_BRAND)
    service = tokens("svc-1", "read:live", brand=None)
    path = f"/v1/sessions/{theirs['id']}"
    found = await client.get(path, headers={**service, "X-Brand-Id": OTHER_BRAND})
    assert found.status_code == 200, found.text
    assert found.json()["brand_id"] == OTHER_BRAND
    elsewhere = await client.get(path, headers={**service, "X-Brand-Id": BRAND})
    assert_error(elsewhere, 404, "not_found")


async def test_service_token_creates_in_the_brand_its_body_names(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    service = tokens("svc-1", "manage:live", brand=None)
    created = await create_session(client, service, brand_id=OTHER_BRAND)
    assert created.status_code == 201, created.text
    assert await listed_ids(client, tokens(brand=OTHER_BRAND)) == [created.json()["id"]]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", LIST),
        ("GET", ADMIN_LIST),
        ("GET", "/v1/sessions/00000000-0000-0000-0000-000000000001"),
        ("PATCH", "/v1/sessions/00000000-0000-0000-0000-000000000001"),
    ],
)
async def test_service_token_naming_no_brand_is_a_validation_error(
    client: httpx.AsyncClient, tokens: Tokens, method: str, path: str
) -> None:
    service = tokens.admin("svc-1", brand=None)
    response = await client.request(method, path, headers=service, json={"title": "x"})
    body = assert_error(response, 400, "validation_error")
    assert "brand_id" in body["message"]
