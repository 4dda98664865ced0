"""Errors the framework raises before any handler runs still come out as {error, message}."""

from __future__ import annotations

import httpx
import pytest

from tests.support.auth import Tokens
from tests.support.errors import assert_envelope

SOME_ID = "5f0c8a2e-3b1d-4c6e-9a7f-2d4b6c8e0a1f"
BODY_ROUTES = [
    ("POST", "/v1/sessions"),
    ("PATCH", f"/v1/sessions/{SOME_ID}"),
    ("PATCH", f"/v1/admin/sessions/{SOME_ID}"),
]


@pytest.mark.parametrize("path", ["/v1/nowhere", "/v1/sessions/a/b/c", "/"])
@pytest.mark.parametrize("signed_in", [True, False], ids=["token", "no-token"])
async def test_unknown_route_is_404_in_the_envelope(
    client: httpx.AsyncClient, tokens: Tokens, path: str, signed_in: bool
) -> None:
    response = await client.get(path, headers=tokens() if signed_in else {})
    assert_envelope(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/sessions", {"POST"}),
        ("PUT", f"/v1/sessions/{SOME_ID}", {"GET", "PATCH"}),
        ("POST", f"/v1/admin/sessions/{SOME_ID}", {"PATCH"}),
    ],
)
async def test_wrong_method_is_405_in_the_envelope_with_allow(
    client: httpx.AsyncClient, tokens: Tokens, method: str, path: str, allowed: set[str]
) -> None:
    response = await client.request(method, path, headers=tokens.admin())
    assert_envelope(response, 405, "method_not_allowed")
    advertised = {m.strip() for m in response.headers.get("allow", "").split(",")}
    assert allowed <= advertised


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize(
    "content",
    [b'{"title": "Morning', b"{title: 1}", b"\xff\xfe", b"[]", b"null", b'"title"'],
    ids=["truncated", "unquoted-key", "not-utf8", "array", "null", "string"],
)
async def test_malformed_json_is_400_in_the_envelope(
    client: httpx.AsyncClient, tokens: Tokens, method: str, path: str, content: bytes
) -> None:
    response = await client.request(
        method,
        path,
        content=content,
        headers={**tokens.admin(), "Content-Type": "application/json"},
    )
    assert_envelope(response, 400, "validation_error")


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
async def test_empty_body_is_400_saying_a_body_is_required(
    client: httpx.AsyncClient, tokens: Tokens, method: str, path: str
) -> None:
    response = await client.request(
        method, path, headers={**tokens.admin(), "Content-Type": "application/json"}
    )
    assert "body" in assert_envelope(response, 400, "validation_error")
