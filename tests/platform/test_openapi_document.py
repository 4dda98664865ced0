"""The OpenAPI document against the routes and the service (SPEC §7, §9; issue 6): every route
is described with the right `security` and the statuses it can return, public routes really
need no token, OPTIONS names the methods of each path, and the cases the issue saw (a float
`ttl_seconds`, a repeated self-registration, two brands named at once) match the document."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from tests.support.auth import OTHER_BRAND, Tokens

BEARER = [{"bearer": []}]
GUARDED = {"400", "401", "403", "429", "503"}  # any token, brand, scope, rate limit, database
MUTATING = {"POST", "PATCH", "DELETE"}
PUBLIC_STATUSES = {
    ("GET", "/healthz"): {"200"},
    ("GET", "/readyz"): {"200", "503"},
    ("GET", "/openapi.json"): {"200"},
    ("GET", "/docs"): {"200"},
    ("POST", "/webhooks/stream"): {"200", "400", "401", "413", "429", "503"},
    ("GET", "/v1/calendar/feeds/{feed}"): {"200", "400", "404", "503"},
}


@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def documented_routes(app: Litestar) -> list[tuple[str, str, HTTPRouteHandler]]:
    """(method, OpenAPI path, handler) for every route handler that is in the document."""
    found = []
    for route in app.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for handler in getattr(route, "route_handlers", ()):
            if handler.resolve_include_in_schema():
                found.extend((method, path, handler) for method in handler.http_methods)
    return [entry for entry in found if entry[0] not in ("OPTIONS", "HEAD")]


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method.lower()]
    return found


async def test_every_route_is_documented_with_its_security_and_statuses(
    app: Litestar, document: dict[str, Any]
) -> None:
    routes = documented_routes(app)
    assert len(routes) >= 19
    for method, path, handler in routes:
        op = operation(document, method, path)
        security = op.get("security", document["security"])
        statuses = set(op["responses"])
        label = f"{method} {path}"
        if handler.opt.get("exclude_from_auth"):
            assert security == [], label
            assert statuses == PUBLIC_STATUSES[(method, path)], label
            continue
        assert security == BEARER, label
        assert handler.opt.get("scope"), label
        assert str(handler.status_code) in statuses, label
        assert statuses >= GUARDED, f"{label} documents {sorted(statuses)}"
        if method in MUTATING:
            assert statuses >= {"404", "409", "413"}, label
            headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
            assert "Idempotency-Key" in headers, label


async def test_the_docs_page_is_described_although_the_docs_router_serves_it(
    document: dict[str, Any],
) -> None:
    page = operation(document, "GET", "/docs")
    assert page["security"] == []
    assert "text/html" in page["responses"]["200"]["content"]


async def test_routes_documented_as_public_answer_without_a_token(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    for method, path in PUBLIC_STATUSES:
        assert operation(document, method, path)["security"] == []
        response = await client.request(method, path)
        assert response.status_code != 401 or response.json()["error"] == "invalid_signature"
    assert (await client.get("/v1/live/sessions")).status_code == 401


async def test_options_allows_exactly_the_documented_methods(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    for path, item in document["paths"].items():
        concrete = re.sub(r"\{\w+\}", "00000000-0000-0000-0000-000000000000", path)
        response = await client.options(concrete)
        assert response.status_code == 204, path
        allowed = {method.strip() for method in response.headers["allow"].split(",")}
        assert allowed == {m.upper() for m in item} | {"OPTIONS"}, path


async def test_self_registration_repeated_is_the_documented_200(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, document: dict[str, Any]
) -> None:
    session = await new_session()
    path = f"/v1/sessions/{session['id']}/registrations"
    first = await client.post(path, headers=tokens())
    again = await client.post(path, headers=tokens())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    documented = operation(document, "POST", "/v1/sessions/{session_id}/registrations")
    assert {"200", "201"} <= set(documented["responses"])


async def test_an_integral_json_number_is_an_integer_as_the_document_says(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = tokens("host-1")
    call = await client.post(
        "/v1/live/calls", json={"host_user_id": "host-1", "title": "Q&A"}, headers=headers
    )
    path = f"/v1/live/calls/{call.json()['id']}/token"
    whole = await client.post(
        path, json={"user_id": "host-1", "ttl_seconds": 600.0}, headers=headers
    )
    assert whole.status_code == 200, whole.text
    assert whole.json()["expires_in_seconds"] == 600
    for wrong in ("600", 600.5):  # a string is still not an integer, nor is a fraction
        refused = await client.post(path, json={"user_id": "host-1", "ttl_seconds": wrong},
                                    headers=headers)  # fmt: skip
        assert refused.status_code == 400, wrong


async def test_a_brand_bound_token_naming_another_brand_is_forbidden_however_named(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = {**tokens(), "X-Brand-Id": "brand-a"}
    response = await client.get("/v1/live/sessions", params={"brand_id": OTHER_BRAND},
                                headers=headers)  # fmt: skip
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


async def test_a_malformed_idempotency_key_is_refused_before_the_join_rules(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session(scheduled_at="2090-01-01T00:00:00Z")  # not joinable yet: 412
    for key in ("", "k" * 129, "caf\u00e9".encode("latin-1")):
        response = await client.post(
            f"/v1/sessions/{session['id']}/join",
            json={"user_id": "admin-1"},
            headers={**tokens.admin(), "Idempotency-Key": key},
        )
        assert response.status_code == 400, (key, response.text)
        assert "Idempotency-Key" in response.json()["message"]


@pytest.mark.parametrize(
    ("params", "status"),
    [({"limit": "100"}, 200), ({"limit": "0"}, 400), ({"status": ""}, 400),
     ({"status": "live, ended"}, 200), ({"upcoming": "TRUE"}, 200), ({"month": "2100-12"}, 200),
     ({"month": "1999-12"}, 400), ({"tz": "Europe/Paris"}, 200), ({"kind": ""}, 400)],
)  # fmt: skip
async def test_list_parameters_are_refused_exactly_when_the_document_says(
    client: httpx.AsyncClient,
    tokens: Tokens,
    document: dict[str, Any],
    params: dict[str, str],
    status: int,
) -> None:
    documented = {
        p["name"]: p["schema"]
        for p in operation(document, "GET", "/v1/live/sessions")["parameters"]
    }
    ((name, value),) = params.items()
    schema = documented[name]
    valid = _valid(schema, value)
    response = await client.get("/v1/live/sessions", params=params, headers=tokens())
    assert response.status_code == status, response.text
    assert valid == (status == 200), (name, value, schema)


def _valid(schema: dict[str, Any], raw: str) -> bool:
    value: Any = int(raw) if schema["oneOf"][0]["type"] == "integer" else raw
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    return schema.get("minimum", value) <= value <= schema.get("maximum", value)
