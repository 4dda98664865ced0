"""Property: whatever JSON a client or the provider sends to a write endpoint, the answer is
never a 5xx, and every 4xx is the {error, message} envelope (SPEC §11)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from loop_live.app import create_app
from loop_live.platform.db import Database
from loop_live.platform.settings import Settings
from tests.support.app import STREAM_SECRET
from tests.support.auth import Tokens
from tests.support.fakes.getstream_server import webhook_headers
from tests.support.sessions import session_body
from tests.support.webhooks import API_KEY, attach_call

EXAMPLES = 100
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
DATES = st.datetimes(timezones=ZONES).map(datetime.isoformat) | st.datetimes().map(
    datetime.isoformat
)
VALUES = JSON_VALUES | DATES | st.text()
LIMITS = st.integers(min_value=-(2**70), max_value=2**70)

SESSION_FIELDS = [
    "host_id", "brand_id", "title", "scheduled_at", "max_participants", "kind", "metadata",
    "description", "category", "community_slug", "duration_minutes", "co_host_ids",
    "cover_image_url", "tags", "status", "unknown",
]  # fmt: skip
ENDPOINTS: dict[str, tuple[str, str, dict[str, Any], list[str]]] = {
    "create-session": ("POST", "/v1/sessions", session_body(), SESSION_FIELDS),
    "host-patch": ("PATCH", "/v1/sessions/{session}", {}, SESSION_FIELDS),
    "admin-patch": ("PATCH", "/v1/admin/sessions/{session}", {}, SESSION_FIELDS),
    "register": (
        "POST", "/v1/sessions/{session}/register", {}, ["patient_id", "guest_email", "role"],
    ),
    "join": ("POST", "/v1/sessions/{session}/join", {"user_id": "admin-1"}, ["user_id"]),
    "create-call": (
        "POST", "/v1/live/calls", {"host_user_id": "admin-1", "title": "1:1"},
        ["host_user_id", "title", "scheduled_at", "metadata"],
    ),
    "call-token": (
        "POST", "/v1/live/calls/{call}/token", {"user_id": "admin-1"}, ["user_id", "ttl_seconds"],
    ),
}  # fmt: skip


def field_values(name: str) -> st.SearchStrategy[Any]:
    if name in ("scheduled_at", "created_at"):
        return DATES | VALUES
    return VALUES | LIMITS


def bodies(base: dict[str, Any], fields: list[str]) -> st.SearchStrategy[Any]:
    """Any JSON at all, or the endpoint's valid body with some fields replaced or dropped."""
    changes = st.lists(st.sampled_from(fields), max_size=4, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({name: field_values(name) for name in names})
    )
    dropped = st.sets(st.sampled_from(sorted(base) or ["none"]), max_size=2)
    edited = st.builds(
        lambda new, gone: {k: v for k, v in {**base, **new}.items() if k not in gone},
        changes,
        dropped,
    )
    dated = [f for f in fields if f == "scheduled_at"]
    if not dated:
        return JSON_VALUES | edited
    return JSON_VALUES | edited | st.builds(lambda at: {**base, "scheduled_at": at}, DATES)


def assert_no_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/json"), response.text
        body = response.json()
        assert isinstance(body["error"], str), body
        assert isinstance(body["message"], str), body
        assert body["message"], body


@pytest.fixture(scope="module")
def sync_client(settings: Settings) -> Iterator[TestClient[Litestar]]:
    """Hypothesis drives synchronous properties: the app runs in the client's portal thread."""
    with TestClient(app=create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def targets(sync_client: TestClient[Litestar], tokens: Tokens) -> dict[str, str]:
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    session = sync_client.post(
        "/v1/sessions", json=session_body(scheduled_at=soon), headers=tokens.admin()
    )
    call = sync_client.post(
        "/v1/live/calls", json={"host_user_id": "admin-1", "title": "1:1"}, headers=tokens.admin()
    )
    assert (session.status_code, call.status_code) == (201, 201), call.text
    return {"session": session.json()["id"], "call": call.json()["id"]}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_no_write_endpoint_answers_5xx(
    sync_client: TestClient[Litestar], tokens: Tokens, targets: dict[str, str], endpoint: str
) -> None:
    method, template, base, fields = ENDPOINTS[endpoint]
    path = template.format(**targets)
    headers = {**tokens.admin(), "Content-Type": "application/json"}

    @FUZZ
    @given(body=bodies(base, fields))
    def property_holds(body: Any) -> None:
        response = sync_client.request(method, path, content=json.dumps(body), headers=headers)
        assert_no_server_error(response)

    property_holds()


EVENT_TYPES = st.sampled_from(
    ["call.session_started", "call.session_ended", "call.recording_ready", "user.updated"]
) | st.text(max_size=120)


@st.composite
def webhook_events(draw: st.DrawFn, cids: list[str]) -> Any:
    event: dict[str, Any] = {
        "type": draw(EVENT_TYPES),
        "call_cid": draw(st.sampled_from(cids) | VALUES),
        "created_at": draw(LIMITS | VALUES | st.integers(min_value=0, max_value=2**64)),
        "call_recording": draw(st.fixed_dictionaries({"url": st.text() | VALUES}) | VALUES),
    }
    gone = draw(st.sets(st.sampled_from(sorted(event)), max_size=2))
    return draw(st.just({k: v for k, v in event.items() if k not in gone}) | JSON_VALUES)


def test_no_signed_webhook_answers_5xx(
    sync_client: TestClient[Litestar], targets: dict[str, str], call_cids: list[str]
) -> None:
    cids = [*call_cids, f"default:{targets['call']}"]

    @FUZZ
    @given(event=webhook_events(cids))
    def property_holds(event: Any) -> None:
        body = json.dumps(event).encode()
        headers = webhook_headers(body, API_KEY, STREAM_SECRET)
        response = sync_client.post("/webhooks/stream", content=body, headers=headers)
        assert_no_server_error(response)
        assert response.status_code == 200, response.text

    property_holds()


@pytest.fixture
async def call_cids(db: Database, targets: dict[str, str]) -> list[str]:
    return [await attach_call(db, targets["session"])]
