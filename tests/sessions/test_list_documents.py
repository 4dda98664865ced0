"""The list's sessions are rendered by the database; each must be byte for byte what the
server renders for the same row (GET /v1/sessions/{id} and every write), on both dialects."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loop_live.platform.db import Database, Sql
from loop_live.sessions import repository as repo
from loop_live.sessions.repository import ListQuery
from tests.support.auth import Tokens

BRAND, VIEWER = "docs-brand", "docs-viewer"
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)
MAYBE = st.none() | TEXT
# Every column a write may change after the insert (the trigger must render each of them).
EDITABLE = frozenset(
    {"title", "description", "category", "community_slug", "scheduled_at", "duration_minutes",
     "started_at", "ended_at", "status", "stream_call_id", "co_host_ids", "cover_image_url",
     "tags", "recording_url", "metadata", "waitlist_count", "ends_at"}
)  # fmt: skip
INSTANT = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2101, 12, 31), timezones=st.just(UTC)
) | st.datetimes(  # whole seconds, where the rendering drops the fraction
    min_value=datetime(2000, 1, 1), max_value=datetime(2101, 12, 31), timezones=st.just(UTC)
).map(lambda at: at.replace(microsecond=0))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def sessions(draw: st.DrawFn) -> dict[str, Any]:
    scheduled_at = draw(INSTANT)
    duration = draw(st.none() | st.integers(1, 1440))
    return {
        "id": uuid.uuid4(),
        "host_id": draw(TEXT.filter(bool)),
        "brand_id": BRAND,
        "title": draw(TEXT),
        "description": draw(MAYBE),
        "kind": draw(st.sampled_from(["live", "office_hours"])),
        "category": draw(MAYBE),
        "community_slug": draw(MAYBE),
        "scheduled_at": scheduled_at,
        "duration_minutes": duration,
        "started_at": draw(st.none() | INSTANT),
        "ended_at": draw(st.none() | INSTANT),
        "status": draw(st.sampled_from(["scheduled", "live", "ended", "cancelled"])),
        "stream_call_id": draw(st.none() | TEXT.filter(bool).map(lambda t: f"{t}:{uuid.uuid4()}")),
        "max_participants": draw(st.integers(1, 10_000)),
        "co_host_ids": draw(st.lists(TEXT, max_size=3)),
        "cover_image_url": draw(MAYBE),
        "tags": draw(st.lists(TEXT, max_size=3)),
        "recording_url": draw(MAYBE),
        "metadata": draw(st.dictionaries(TEXT, JSON, max_size=4)),
        "registered_count": 0,
        "waitlist_count": draw(st.integers(0, 50)),
        "created_at": draw(INSTANT),
        "updated_at": draw(INSTANT),
        "series_id": None,
        "ends_at": repo.ends_at(scheduled_at, duration),
    }


async def _listed(db: Database, session_id: uuid.UUID) -> bytes:
    async with db.read() as conn:
        rows = await repo.page(conn, ListQuery(brand=BRAND, viewer=VIEWER, limit=5))
    (row,) = [r for r in rows if str(r["id"]) == str(session_id)]
    return str(row["document"]).encode()


async def _served(db: Database, session_id: uuid.UUID) -> bytes:
    async with db.read() as conn:
        row = await repo.get(conn, BRAND, session_id, VIEWER)
    assert row is not None
    return msgspec.json.encode(repo.session_json(row))


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(session=sessions(), registered=st.booleans(), edit=sessions())
async def test_a_listed_session_is_the_served_session_byte_for_byte(
    db: Database, session: dict[str, Any], registered: bool, edit: dict[str, Any]
) -> None:
    async with db.write() as conn:
        await conn.execute(Sql("DELETE FROM registrations"))
        await conn.execute(Sql("DELETE FROM sessions"))
        await repo.insert(conn, session)
        if registered:
            await conn.execute(
                Sql(
                    "INSERT INTO registrations (id, brand_id, session_id, user_id, role, status,"
                    " registered_at, updated_at)"
                    " VALUES (:id, :brand, :session, :user, 'participant', 'registered', :at, :at)"
                ),
                {
                    "id": uuid.uuid4(),
                    "brand": BRAND,
                    "session": session["id"],
                    "user": VIEWER,
                    "at": session["created_at"],
                },
            )

    listed = await _listed(db, session["id"])

    assert listed == await _served(db, session["id"])
    assert msgspec.json.decode(listed)["is_registered"] is registered

    changes = {k: v for k, v in edit.items() if k in EDITABLE}
    async with db.write() as conn:
        await repo.update(conn, session["id"], changes, edit["updated_at"])
        await conn.execute(
            Sql("UPDATE sessions SET registered_count = 1, attended_count = 2 WHERE id = :id"),
            {"id": session["id"]},
        )
    edited = await _listed(db, session["id"])
    assert edited == await _served(db, session["id"])
    assert msgspec.json.decode(edited)["attended_count"] == 2


async def test_a_page_of_documents_is_one_json_body_with_its_cursor(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    title = 'quote " backslash \\ tab \t é \u2028'
    for _ in range(3):
        await new_session(title=title)

    response = await client.get("/v1/live/sessions?limit=2", headers=tokens())

    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["title"] for s in body["sessions"]] == [title, title]
    assert body["next_cursor"]
