"""`POST /webhooks/stream` is authenticated by the provider's signature alone (SPEC §5)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from loop_live.app import create_app
from loop_live.platform.db import Database
from loop_live.platform.settings import Settings
from tests.support.app import STREAM_SECRET, make_settings
from tests.support.auth import Tokens
from tests.support.contract import assert_matches
from tests.support.databases import count
from tests.support.fakes.getstream_server import sign_webhook, webhook_headers
from tests.support.journal import outbox_types
from tests.support.sessions import session_view
from tests.support.webhooks import (
    API_KEY,
    T0,
    URL,
    attach_call,
    deliver,
    instant,
    started,
)

ENDPOINT = "POST /webhooks/stream"
OTHER_SECRET = "another-stream-secret-0123456789abcdef-xyz"


def without_signature(body: bytes) -> dict[str, str]:
    headers = webhook_headers(body, API_KEY, STREAM_SECRET)
    del headers["X-Signature"]
    return headers


def with_signature(signature: Callable[[bytes], str]) -> Callable[[bytes], dict[str, str]]:
    def headers(body: bytes) -> dict[str, str]:
        return {**webhook_headers(body, API_KEY, STREAM_SECRET), "X-Signature": signature(body)}

    return headers


BAD_SIGNATURES = [
    pytest.param(without_signature, id="missing"),
    pytest.param(with_signature(lambda body: ""), id="empty"),
    pytest.param(with_signature(lambda body: "0" * 64), id="wrong"),
    pytest.param(with_signature(lambda body: "not hex at all"), id="garbage"),
    pytest.param(
        with_signature(lambda body: sign_webhook(body + b" ", STREAM_SECRET)), id="other-body"
    ),
    pytest.param(with_signature(lambda body: sign_webhook(body, OTHER_SECRET)), id="other-secret"),
]


@pytest.mark.parametrize("headers_for", BAD_SIGNATURES)
async def test_badly_signed_delivery_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    new_session: Any,
    headers_for: Callable[[bytes], dict[str, str]],
) -> None:
    session = await new_session()
    cid = await attach_call(db, session["id"])
    before = await session_view(client, tokens, session["id"])
    body = json.dumps(started(cid)).encode()

    response = await client.post(URL, content=body, headers=headers_for(body))

    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_signature"
    assert_matches(response.json(), ENDPOINT, 401)
    assert await session_view(client, tokens, session["id"]) == before
    assert await count(db, "webhook_inbox") == 0
    assert await outbox_types(db, session["id"]) == ["live.session.created.v1"]


async def test_refused_delivery_does_not_burn_its_webhook_id(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session = await new_session()
    cid = await attach_call(db, session["id"])
    forged = await deliver(client, started(cid), webhook_id="wh-1", secret=OTHER_SECRET)
    assert forged.status_code == 401

    genuine = await deliver(client, started(cid), webhook_id="wh-1")

    assert genuine.status_code == 200, genuine.text
    assert (await session_view(client, tokens, session["id"]))["status"] == "live"


async def test_validly_signed_delivery_is_accepted_without_a_bearer_token(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session = await new_session()
    cid = await attach_call(db, session["id"])

    response = await deliver(client, started(cid))

    assert "Authorization" not in response.request.headers
    assert response.status_code == 200, response.text
    assert response.json()["received"] is True
    assert_matches(response.json(), ENDPOINT)
    view = await session_view(client, tokens, session["id"])
    assert (view["status"], instant(view["started_at"])) == ("live", T0)


async def test_gzip_body_signed_over_the_uncompressed_bytes_is_accepted(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session = await new_session()
    cid = await attach_call(db, session["id"])
    raw = json.dumps(started(cid)).encode()
    headers = {**webhook_headers(raw, API_KEY, STREAM_SECRET), "Content-Encoding": "gzip"}

    response = await client.post(URL, content=gzip.compress(raw), headers=headers)

    assert response.status_code == 200, response.text
    assert (await session_view(client, tokens, session["id"]))["status"] == "live"


async def test_gzip_body_inflating_past_the_body_limit_is_a_413(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    padding = "0" * (settings.max_body_bytes + 1)
    raw = json.dumps({"type": "user.updated", "padding": padding}).encode()
    headers = {**webhook_headers(raw, API_KEY, STREAM_SECRET), "Content-Encoding": "gzip"}

    response = await client.post(URL, content=gzip.compress(raw), headers=headers)

    assert response.status_code == 413, response.text
    assert response.json()["error"] == "payload_too_large"
    assert await count(db, "webhook_inbox") == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\x1f\x8b not really gzip", id="broken-gzip"),
        pytest.param(gzip.compress(b'{"type": "user.updated"}')[:-12], id="truncated-gzip"),
    ],
)
async def test_a_body_whose_signature_cannot_be_checked_is_a_400(
    client: httpx.AsyncClient, db: Database, body: bytes
) -> None:
    response = await deliver(client, body)

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"
    assert await count(db, "webhook_inbox") == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"type": "call.session_started", "call_cid": ', id="truncated-json"),
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"[]", id="not-an-object"),
        pytest.param(b'{"call_cid": "livestream:x"}', id="no-type"),
        pytest.param(b'{"type": "call.session_started"}', id="handled-type-without-call-cid"),
        pytest.param(
            b'{"type": "call.recording_ready", "call_cid": "livestream:x"}',
            id="recording-without-url",
        ),
    ],
)
async def test_validly_signed_unusable_body_is_acknowledged_as_ignored(
    client: httpx.AsyncClient, db: Database, body: bytes
) -> None:
    """A retry would not make it usable, so the provider is told to stop (SPEC §11)."""
    response = await deliver(client, body)

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "ignored"
    assert response.json()["reason"]
    assert await count(db, "webhook_inbox") == 0


async def test_getstream_selected_but_not_configured_is_a_503(database_url: str) -> None:
    settings = make_settings(database_url, stream_provider="getstream")
    async with AsyncTestClient(app=create_app(settings), raise_server_exceptions=False) as client:
        response = await deliver(client, started("livestream:any"))

    assert response.status_code == 503, response.text
    assert response.json()["error"] == "provider_not_configured"
