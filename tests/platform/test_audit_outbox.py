"""Every session change leaves one audit row and one outbox event; a refused one leaves none."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database, Sql
from tests.support.auth import BRAND, Tokens
from tests.support.sessions import create_session


async def audit_trail(db: Database, entity_id: str) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await conn.fetch(
            Sql("SELECT actor, action, entity_type, entity_id, brand_id, request_id"
                " FROM audit_log WHERE entity_id = :id ORDER BY created_at"),
            {"id": entity_id},
        )  # fmt: skip
    return [dict(zip(row.keys(), row, strict=True)) for row in rows]


async def events(db: Database, aggregate_id: str) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await conn.fetch(
            Sql("SELECT event_type, brand_id, payload FROM outbox_events"
                " WHERE aggregate_id = :id ORDER BY created_at"),
            {"id": aggregate_id},
        )  # fmt: skip
    return [
        {"type": row["event_type"], "brand_id": row["brand_id"], **json.loads(row["payload"])}
        for row in rows
    ]


async def table_sizes(db: Database) -> tuple[int, int]:
    async with db.read() as conn:
        audit = await conn.fetchval(Sql("SELECT COUNT(*) FROM audit_log"))
        outbox = await conn.fetchval(Sql("SELECT COUNT(*) FROM outbox_events"))
    return audit, outbox


def audit_row(actor: str, action: str, session_id: str, request_id: str) -> dict[str, Any]:
    return {
        "actor": actor, "action": action, "entity_type": "session", "entity_id": session_id,
        "brand_id": BRAND, "request_id": request_id,
    }  # fmt: skip


async def test_create_writes_one_audit_row_and_one_created_event(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    response = await create_session(client, {**tokens("host-1"), "X-Request-Id": "req-c1"})
    assert response.status_code == 201, response.text
    session = response.json()
    assert await audit_trail(db, session["id"]) == [
        audit_row("host-1", "session.create", session["id"], "req-c1")
    ]
    [event] = await events(db, session["id"])
    assert (event["type"], event["brand_id"]) == ("live.session.created.v1", BRAND)
    assert event["data"] == session
    uuid.UUID(event["id"])


@pytest.mark.parametrize(
    ("route", "admin", "body", "action", "event_type"),
    [
        pytest.param("/v1/sessions/{}", False, {"title": "Renamed"}, "session.update",
                     "live.session.updated.v1", id="host-edit"),
        pytest.param("/v1/admin/sessions/{}", True, {"scheduled_at": "2030-02-02T08:00:00Z"},
                     "session.admin_update", "live.session.updated.v1", id="admin-reschedule"),
        pytest.param("/v1/admin/sessions/{}", True, {"status": "cancelled"},
                     "session.admin_update", "live.session.cancelled.v1", id="admin-cancel"),
    ],
)  # fmt: skip
async def test_each_change_writes_one_audit_row_and_one_event(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    new_session: Any,
    route: str,
    admin: bool,
    body: dict[str, Any],
    action: str,
    event_type: str,
) -> None:
    session = await new_session()
    headers = tokens.admin() if admin else tokens("host-1")
    response = await client.patch(
        route.format(session["id"]), json=body, headers={**headers, "X-Request-Id": "req-e1"}
    )
    assert response.status_code == 200, response.text
    actor = "admin-1" if admin else "host-1"
    trail = await audit_trail(db, session["id"])
    assert [row["action"] for row in trail] == ["session.create", action]
    assert trail[-1] == audit_row(actor, action, session["id"], "req-e1")
    history = await events(db, session["id"])
    assert [e["type"] for e in history] == ["live.session.created.v1", event_type]
    assert history[-1]["data"]["status"] == response.json()["status"]
    assert history[0]["id"] != history[-1]["id"]


async def test_reinstating_a_cancelled_session_is_an_update_event(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session = await new_session()
    for status in ("cancelled", "scheduled"):
        response = await client.patch(
            f"/v1/admin/sessions/{session['id']}", json={"status": status}, headers=tokens.admin()
        )
        assert response.status_code == 200, response.text
    assert [e["type"] for e in await events(db, session["id"])] == [
        "live.session.created.v1", "live.session.cancelled.v1", "live.session.updated.v1",
    ]  # fmt: skip
    assert len(await audit_trail(db, session["id"])) == 3


@pytest.mark.parametrize(
    ("status", "route", "headers", "expected"),
    [
        pytest.param("ended", "/v1/admin/sessions/{}", "admin", 412, id="ended-412"),
        pytest.param("live", "/v1/admin/sessions/{}", "admin", 412, id="live-capacity-412"),
        pytest.param("scheduled", "/v1/sessions/{}", "member", 403, id="not-the-host-403"),
    ],
)
async def test_refused_change_writes_neither_audit_nor_event(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    new_session: Any,
    status: str,
    route: str,
    headers: str,
    expected: int,
) -> None:
    session = await new_session()
    async with db.write() as conn:
        await conn.execute(
            Sql("UPDATE sessions SET status = :status WHERE id = :id"),
            {"status": status, "id": uuid.UUID(session["id"])},
        )
    before = await table_sizes(db)
    caller = tokens.admin() if headers == "admin" else tokens("member-2")
    response = await client.patch(
        route.format(session["id"]), json={"max_participants": 50}, headers=caller
    )
    assert response.status_code == expected, response.text
    assert await table_sizes(db) == before
