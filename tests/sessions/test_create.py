"""POST /v1/sessions: the session shape, defaults, UTC storage, validation and who may create."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database
from loop_live.platform.settings import Settings
from tests.support.auth import BRAND, OTHER_BRAND, Tokens
from tests.support.databases import count
from tests.support.sessions import MISSING, create_session

SESSION_FIELDS = {
    "id", "host_id", "brand_id", "title", "description", "kind", "category", "community_slug",
    "scheduled_at", "duration_minutes", "started_at", "ended_at", "status", "stream_call_id",
    "max_participants", "co_host_ids", "cover_image_url", "tags", "recording_url", "metadata",
    "registered_count", "is_registered", "created_at", "updated_at",
}  # fmt: skip


def instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0), f"{value} is not emitted in UTC"
    return parsed


async def test_host_schedules_own_session_with_every_field_and_defaults(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await create_session(client, tokens("host-1"))
    assert response.status_code == 201, response.text
    session = response.json()
    assert session.keys() >= SESSION_FIELDS
    uuid.UUID(session["id"])
    assert {k: session[k] for k in ("host_id", "brand_id", "title", "max_participants")} == {
        "host_id": "host-1", "brand_id": BRAND, "title": "Morning mobility", "max_participants": 10,
    }  # fmt: skip
    assert session["kind"] == "live"
    assert session["metadata"] == {}
    assert session["status"] == "scheduled"
    assert session["co_host_ids"] == session["tags"] == []
    assert session["registered_count"] == 0
    assert session["is_registered"] is False
    nullable = ("description", "category", "community_slug", "duration_minutes", "started_at",
                "ended_at", "stream_call_id", "cover_image_url", "recording_url")  # fmt: skip
    assert {k: session[k] for k in nullable} == dict.fromkeys(nullable)
    assert instant(session["created_at"]) == instant(session["updated_at"])
    fetched = await client.get(f"/v1/sessions/{session['id']}", headers=tokens())
    assert fetched.json() == session


async def test_every_optional_field_is_stored_and_returned(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    optional = {
        "description": "Loosen up before work",
        "kind": "office_hours",
        "category": "fitness",
        "community_slug": "early-birds",
        "duration_minutes": 45,
        "co_host_ids": ["cohost-1", "cohost-2"],
        "cover_image_url": "https://cdn.example.com/cover.png",
        "tags": ["mobility", "morning"],
        "metadata": {"level": "beginner", "equipment": ["mat"], "nested": {"n": 1}},
    }
    response = await create_session(client, tokens("host-1"), **optional)
    assert response.status_code == 201, response.text
    assert {k: response.json()[k] for k in optional} == optional
    fetched = await client.get(f"/v1/sessions/{response.json()['id']}", headers=tokens())
    assert {k: fetched.json()[k] for k in optional} == optional


async def test_scheduled_at_with_an_offset_is_stored_and_returned_in_utc(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await create_session(
        client, tokens("host-1"), scheduled_at="2030-01-15T12:00:00+02:00"
    )
    assert response.status_code == 201, response.text
    expected = datetime(2030, 1, 15, 10, 0, tzinfo=UTC)
    assert instant(response.json()["scheduled_at"]) == expected
    fetched = await client.get(f"/v1/sessions/{response.json()['id']}", headers=tokens())
    assert instant(fetched.json()["scheduled_at"]) == expected
    listed = await client.get("/v1/live/sessions?month=2030-01", headers=tokens())
    assert [instant(s["scheduled_at"]) for s in listed.json()["sessions"]] == [expected]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"scheduled_at": "2030-01-15T10:00:00"}, "scheduled_at", id="naive-datetime"),
        pytest.param({"scheduled_at": "next tuesday"}, "scheduled_at", id="not-a-datetime"),
        pytest.param({"host_id": MISSING}, "host_id", id="missing-host_id"),
        pytest.param({"brand_id": MISSING}, "brand_id", id="missing-brand_id"),
        pytest.param({"title": MISSING}, "title", id="missing-title"),
        pytest.param({"scheduled_at": MISSING}, "scheduled_at", id="missing-scheduled_at"),
        pytest.param({"max_participants": MISSING}, "max_participants", id="missing-capacity"),
        pytest.param({"max_participants": "ten"}, "max_participants", id="capacity-string"),
        pytest.param({"title": 42}, "title", id="title-number"),
        pytest.param({"tags": "yoga"}, "tags", id="tags-string"),
        pytest.param({"metadata": ["x"]}, "metadata", id="metadata-array"),
        pytest.param({"duration_minutes": 1.5}, "duration_minutes", id="duration-float"),
        pytest.param({"kind": "party"}, "kind", id="bad-kind"),
        pytest.param({"title": ""}, "title", id="empty-title"),
        pytest.param({"max_participants": 0}, "max_participants", id="zero-capacity"),
        pytest.param({"colour": "red"}, "colour", id="unknown-field"),
    ],
)
async def test_invalid_body_is_rejected_naming_the_field(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, overrides: dict[str, Any], field: str
) -> None:
    response = await create_session(client, tokens("host-1"), **overrides)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"
    assert field in response.json()["message"]
    assert await count(db, "sessions") == 0


async def test_malformed_json_is_rejected(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    response = await client.post(
        "/v1/sessions",
        content=b'{"title": "Morning mobility",',
        headers={**tokens("host-1"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert await count(db, "sessions") == 0


async def test_body_over_the_size_limit_is_413_in_the_envelope(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, settings: Settings
) -> None:
    response = await create_session(
        client, tokens("host-1"), description="x" * settings.max_body_bytes
    )
    assert response.status_code == 413
    assert response.json() == {"error": "payload_too_large", "message": response.json()["message"]}
    assert await count(db, "sessions") == 0


async def test_member_cannot_schedule_a_session_for_another_host(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    response = await create_session(client, tokens("host-1"), host_id="host-2")
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert await count(db, "sessions") == 0


async def test_manager_schedules_a_session_for_another_host(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await create_session(client, tokens("lead-1", "manage:live"), host_id="host-2")
    assert response.status_code == 201, response.text
    assert response.json()["host_id"] == "host-2"


async def test_brand_id_of_another_brand_is_forbidden(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    response = await create_session(client, tokens.admin(), brand_id=OTHER_BRAND)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert await count(db, "sessions") == 0


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("http://[", 201),
        ("HttP://\u009aKO[/", 201),
        ("ftp://example.com/a.png", 400),
        ("https://", 400),
    ],
)
async def test_cover_image_url_is_judged_by_its_documented_pattern_alone(
    client: httpx.AsyncClient, tokens: Tokens, url: str, status: int
) -> None:
    # "http://[" used to reach urlsplit, which raises on an unclosed IPv6 bracket: a 500.
    response = await create_session(client, tokens.admin(), cover_image_url=url)
    assert response.status_code == status, response.text
