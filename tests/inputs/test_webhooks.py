"""Validly signed but unusable provider webhooks: 200 `ignored`, one log line, nothing stored."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database
from tests.support.auth import Tokens
from tests.support.databases import count
from tests.support.sessions import session_view
from tests.support.webhooks import (
    accepted,
    attach_call,
    deliver,
    ns,
    recording,
    started,
)

YEAR_9999 = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
SECONDS_9999 = int(YEAR_9999.timestamp())


@pytest.mark.parametrize(
    "created_at",
    [
        pytest.param(-1, id="negative"),
        pytest.param(-(10**18), id="negative-1938"),
        pytest.param(10**30, id="ten-to-the-30"),
        pytest.param("1" * 5000, id="five-thousand-digits"),
        pytest.param(ns(YEAR_9999), id="year-9999-ns"),
        pytest.param(SECONDS_9999 * 1000, id="year-9999-ms"),
        pytest.param(SECONDS_9999, id="year-9999-s"),
        pytest.param(str(ns(YEAR_9999)), id="year-9999-ns-string"),
        pytest.param("9999-12-31T23:30:00Z", id="year-9999-rfc3339"),
        pytest.param("0140-11-19T18:54:04Z", id="year-140-rfc3339"),
        pytest.param("2030-01-15T10:00:00", id="rfc3339-without-offset"),
        pytest.param("yesterday", id="words"),
        pytest.param("\u0661\u0662\u0663", id="arabic-indic-digits"),
        pytest.param("\u00b2", id="superscript-two"),
        pytest.param(1.9e18, id="float"),
        pytest.param(True, id="boolean"),
        pytest.param([], id="array"),
        pytest.param({"at": 1}, id="object"),
    ],
)
async def test_an_absurd_created_at_is_ignored_and_changes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any, created_at: Any
) -> None:
    session = await new_session()
    event = started(await attach_call(db, session["id"]))
    event["created_at"] = created_at

    assert await accepted(client, event) == "ignored"

    assert (await session_view(client, tokens, session["id"]))["status"] == "scheduled"
    assert await count(db, "webhook_inbox") == 0


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://files.invalid/recording.mp4",
        "/recordings/relative.mp4",
        "https://",
        "https:///no-host.mp4",
        "https://cdn.invalid/a b.mp4",
        "https://cdn.invalid/\u0000.mp4",
        "https://cdn.invalid/" + "a" * 3000,
        "",
    ],
)
async def test_a_recording_url_that_is_not_absolute_http_is_ignored(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any, url: str
) -> None:
    session = await new_session()
    cid = await attach_call(db, session["id"])

    assert await accepted(client, recording(cid, url)) == "ignored"

    assert (await session_view(client, tokens, session["id"]))["recording_url"] is None
    assert await count(db, "webhook_inbox") == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            b'{"type": "call.session_started", "call_cid": "livestream:\xff"}', id="bad-utf8"
        ),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="array-100000-deep"),
        pytest.param(
            b'{"type": "user.updated", "user": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1001,
            id="object-1000-deep",
        ),
        pytest.param(b'"call.session_started"', id="string"),
        pytest.param(b"42", id="number"),
        pytest.param(b"null", id="null"),
        pytest.param(b'{"type": "call.session_started", "call_cid": "a\\u0000b"}', id="nul-in-cid"),
        pytest.param(b'{"type": "' + b"t" * 101 + b'"}', id="type-too-long"),
        pytest.param(
            b'{"type": "call.session_ended", "call_cid": "' + b"c" * 256 + b'"}', id="cid-too-long"
        ),
        pytest.param(b'{"type": 7, "call_cid": "livestream:x"}', id="type-not-a-string"),
        pytest.param(b'{"type": "call.session_ended", "call_cid": 7}', id="cid-not-a-string"),
        pytest.param(
            b'{"type": "call.recording_ready", "call_cid": "x", "call_recording": []}',
            id="recording-not-an-object",
        ),
    ],
)
async def test_a_validly_signed_unusable_body_is_ignored_in_one_log_line(
    client: httpx.AsyncClient, db: Database, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    caplog.set_level(logging.INFO)

    response = await deliver(client, body)

    assert response.status_code == 200, response.text
    assert (response.json()["received"], response.json()["outcome"]) == (True, "ignored")
    assert await count(db, "webhook_inbox") == 0
    ignored = [r for r in caplog.records if r.name.startswith("loop_live")]
    assert [r.getMessage().split(":")[0] for r in ignored] == ["webhook ignored"]
    assert ignored[0].exc_info is None


async def test_the_log_line_never_repeats_what_the_payload_carried(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    event = {
        "type": "call.recording_ready",
        "call_cid": "patient-4711",
        "call_recording": {"url": "mailto:jane@example.com"},
    }

    assert await accepted(client, event) == "ignored"

    assert "patient-4711" not in caplog.text
    assert "jane@example.com" not in caplog.text


async def test_a_usable_event_after_ignored_ones_is_still_applied(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, new_session: Any
) -> None:
    session = await new_session()
    cid = await attach_call(db, session["id"])
    broken = started(cid)
    broken["created_at"] = 10**30
    await accepted(client, broken)

    assert await accepted(client, started(cid)) == "applied"
    assert (await session_view(client, tokens, session["id"]))["status"] == "live"
