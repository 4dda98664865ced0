"""Every date-time a client sends lies in [2000-01-01T00:00Z, 2101-01-01T00:00Z) (SPEC §11)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.auth import Tokens
from tests.support.errors import assert_envelope
from tests.support.sessions import create_session, session_body

OUTSIDE = [
    pytest.param("0140-11-19T18:54:04Z", id="year-140"),
    pytest.param("9999-12-31T23:30:00Z", id="year-9999"),
    pytest.param("0001-01-01T00:00:00Z", id="year-1"),
    pytest.param("1999-12-31T23:59:59.999999Z", id="just-before"),
    pytest.param("2000-01-01T00:30:00+01:00", id="before-once-in-utc"),
    pytest.param("2101-01-01T00:00:00Z", id="the-exclusive-end"),
]
UNPARSEABLE = [
    pytest.param("2030-02-30T10:00:00Z", id="no-such-day"),
    pytest.param("2030-01-15T10:00:00", id="no-offset"),
    pytest.param("tomorrow", id="words"),
    pytest.param(1_900_000_000, id="a-number"),
    pytest.param("+12030-01-15T10:00:00Z", id="five-digit-year"),
]


async def _write(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, route: str, at: Any
) -> httpx.Response:
    if route == "POST /v1/live/calls":
        body = {"host_user_id": "host-1", "title": "1:1", "scheduled_at": at}
        return await client.post("/v1/live/calls", json=body, headers=tokens.admin())
    if route == "POST /v1/sessions":
        return await create_session(client, tokens.admin(), scheduled_at=at)
    session = await new_session()
    prefix = "/v1/admin/sessions" if route.startswith("PATCH /v1/admin") else "/v1/sessions"
    return await client.patch(
        f"{prefix}/{session['id']}", json={"scheduled_at": at}, headers=tokens.admin()
    )


ROUTES = [
    "POST /v1/sessions",
    "PATCH /v1/sessions/{id}",
    "PATCH /v1/admin/sessions/{id}",
    "POST /v1/live/calls",
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("at", OUTSIDE + UNPARSEABLE)
async def test_an_instant_outside_the_range_or_unreadable_is_a_400_naming_the_field(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, route: str, at: Any
) -> None:
    response = await _write(client, tokens, new_session, route, at)

    assert "scheduled_at" in assert_envelope(response, 400, "validation_error")


async def test_a_rejected_instant_stores_nothing_and_every_read_still_works(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    for at in ("0140-11-19T18:54:04Z", "9999-12-31T23:30:00Z"):
        await create_session(client, tokens(), scheduled_at=at)
        await client.patch(
            f"/v1/sessions/{session['id']}", json={"scheduled_at": at}, headers=tokens.admin()
        )

    listed = await client.get("/v1/live/sessions", headers=tokens())
    assert listed.status_code == 200, listed.text
    assert [s["scheduled_at"] for s in listed.json()["sessions"]] == [session["scheduled_at"]]
    again = await client.get(f"/v1/sessions/{session['id']}", headers=tokens())
    assert again.json()["scheduled_at"] == session["scheduled_at"]


@pytest.mark.parametrize(
    ("at", "month"),
    [
        ("2000-01-01T00:00:00Z", "2000-01"),
        ("2100-12-31T23:59:59.999999Z", "2100-12"),
        ("2101-01-01T00:59:00+01:00", "2100-12"),
    ],
    ids=["first-instant", "last-instant", "last-hour-with-an-offset"],
)
async def test_the_range_edges_are_stored_and_read_back(
    client: httpx.AsyncClient, tokens: Tokens, at: str, month: str
) -> None:
    body = session_body(scheduled_at=at, duration_minutes=1440)
    created = await client.post("/v1/sessions", json=body, headers=tokens.admin())
    assert created.status_code == 201, created.text

    listed = await client.get(f"/v1/live/sessions?month={month}", headers=tokens())
    assert listed.status_code == 200, listed.text
    assert [s["id"] for s in listed.json()["sessions"]] == [created.json()["id"]]
    view = await client.get(f"/v1/sessions/{created.json()['id']}", headers=tokens())
    assert view.json()["scheduled_at"] == created.json()["scheduled_at"]


@pytest.mark.parametrize("month", ["0140-11", "1999-12", "2101-01", "9999-12", "0000-01"])
async def test_a_month_outside_the_range_is_a_400_naming_it(
    client: httpx.AsyncClient, tokens: Tokens, month: str
) -> None:
    response = await client.get(f"/v1/live/sessions?month={month}", headers=tokens())

    assert response.json().get("details") == {"parameter": "month"}
    assert "month" in assert_envelope(response, 400, "validation_error")


async def test_the_published_document_states_the_range(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    schema = document["components"]["schemas"]["SessionCreate"]["properties"]["scheduled_at"]

    assert "2000-01-01T00:00:00Z" in schema["description"]
    assert "2101-01-01T00:00:00Z" in schema["description"]
