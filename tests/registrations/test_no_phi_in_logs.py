"""Patient ids, guest emails and tokens never appear in logs (SPEC §8, §11), even at DEBUG: a
full register → join → live → ended → recording flow, with its refusals, plus requests that put
them in the URL, the query string, the request id and the Authorization header, run in-process
and against a real `loop-live serve` process (JSON format, request lines on), and every log
line read back."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database
from loop_live.platform.logs import JsonFormatter
from tests.support.app import STREAM_SECRET
from tests.support.attendance import joined, left
from tests.support.auth import Tokens
from tests.support.fakes.getstream_server import (
    call_json,
    recording_ready_event,
    session_ended_event,
    session_started_event,
    webhook_headers,
)
from tests.support.journal import journal
from tests.support.servers import server_env, serving
from tests.support.sessions import session_body

PATIENT = "patient-7c1f"
GUEST = "Guest.Person@example.org"
SECRETS = (PATIENT.lower(), GUEST.lower())
JWT = "eyJ"  # how every bearer and provider token (a JWT) begins


async def call(
    http: httpx.AsyncClient,
    status: int,
    method: str,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> Any:
    response = await http.request(method, url, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


async def full_flow(http: httpx.AsyncClient, tokens: Tokens) -> None:
    """Everything a patient and a guest go through, refusals included."""
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    body = session_body(scheduled_at=soon, max_participants=2)
    session = await call(http, 201, "POST", "/v1/sessions", tokens.admin(), body)
    await register_with_refusals(http, tokens, f"/v1/sessions/{session['id']}")
    await join_go_live_and_leave(http, tokens, f"/v1/sessions/{session['id']}")
    admin_list = f"/v1/admin/sessions/{session['id']}/registrations"
    await call(http, 200, "GET", admin_list, tokens.admin())
    attendance = f"/v1/admin/sessions/{session['id']}/attendance"
    await call(http, 200, "GET", attendance, tokens.admin())
    csv = await http.get(attendance, headers={**tokens.admin(), "Accept": "text/csv"})
    assert csv.status_code == 200
    await leak_bait(http, tokens, session["id"])


async def leak_bait(http: httpx.AsyncClient, tokens: Tokens, session_id: str) -> None:
    """Failed requests carrying personal data and tokens where a request line could copy them."""
    bearer = tokens(PATIENT)["Authorization"].removeprefix("Bearer ")
    query = {"guest_email": GUEST, "patient_id": PATIENT, "access_token": bearer}
    forged = {"Authorization": f"Bearer {bearer[:-4]}AAAA", "X-Request-Id": GUEST}
    for method, url, headers in (
        ("GET", "/v1/live/sessions", tokens(PATIENT)),
        ("GET", f"/v1/sessions/{session_id}/{GUEST}", tokens(PATIENT)),
        ("GET", f"/nowhere/{PATIENT}/{bearer}", tokens(PATIENT)),
        ("GET", f"/v1/sessions/{session_id}", forged),
        ("POST", f"/v1/sessions/{session_id}/register", tokens("host-1")),
    ):
        response = await http.request(
            method,
            url,
            params={**query, "status": GUEST},
            headers=headers,
            json={"guest_email": f"<{GUEST}>"},
        )
        assert 400 <= response.status_code < 500, (url, response.text)
        assert response.headers["x-request-id"] != GUEST


async def register_with_refusals(http: httpx.AsyncClient, tokens: Tokens, base: str) -> None:
    host, patient = tokens("host-1"), tokens(PATIENT)
    for body, status, headers in (
        ({"patient_id": PATIENT}, 201, host),
        ({"guest_email": GUEST}, 201, host),
        ({"guest_email": GUEST.upper()}, 409, host),
        ({"patient_id": PATIENT}, 409, host),
        ({"patient_id": PATIENT, "guest_email": GUEST}, 400, host),
        ({"guest_email": GUEST.replace("@", " at ")}, 400, host),
        ({"patient_id": "someone-else", "nickname": GUEST}, 400, host),
        ({"patient_id": "someone-else"}, 403, patient),
    ):
        await call(http, status, "POST", f"{base}/register", headers, body)
    await call(http, 200, "POST", f"{base}/registrations", patient)
    await call(http, 201, "POST", f"{base}/registrations", tokens("member-2"))


async def join_go_live_and_leave(http: httpx.AsyncClient, tokens: Tokens, base: str) -> None:
    patient, as_patient = tokens(PATIENT), {"user_id": PATIENT}
    join = await call(http, 200, "POST", f"{base}/join", patient, as_patient)
    await call(http, 403, "POST", f"{base}/join", tokens("member-2"), as_patient)
    await call(http, 200, "DELETE", f"{base}/registrations", patient)
    await call(http, 404, "DELETE", f"{base}/registrations", patient)
    provider_call = call_json(join["call_type"], join["call_id"])
    now = datetime.now(UTC)
    for event in (
        session_started_event(provider_call, "rtc-1"),
        joined(provider_call["cid"], PATIENT, "conn-1", now),
        left(provider_call["cid"], PATIENT, "conn-1", now, now + timedelta(minutes=3)),
        session_ended_event(provider_call, "rtc-1"),
        recording_ready_event(provider_call["cid"], "rtc-1", url="https://cdn.example.org/r.mp4"),
    ):
        raw = json.dumps(event).encode()
        headers = webhook_headers(raw, "loop-live-local", STREAM_SECRET)
        response = await http.post("/webhooks/stream", content=raw, headers=headers)
        assert response.json() == {"received": True, "outcome": "applied"}, response.text


def leaks(text: str) -> list[str]:
    """The lines that name the patient or the guest, in any letter case, or hold a token."""
    return [
        line for line in text.splitlines() if JWT in line or any(s in line.lower() for s in SECRETS)
    ]


async def test_full_flow_in_process_logs_no_patient_id_or_guest_email(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await full_flow(client, tokens)
    assert caplog.records, "nothing was captured: the check below would prove nothing"
    request_lines = [r for r in caplog.records if r.name == "loop_live.request"]
    assert len(request_lines) >= 5, "the failed requests wrote no lines: nothing was checked"
    served = [r for r in caplog.records if r.name != "httpx"]  # httpx: the test's own client
    assert leaks("\n".join(f"{r.name} {r.getMessage()}" for r in served)) == []
    assert leaks("\n".join(JsonFormatter().format(record) for record in served)) == []
    assert leaks(repr([details for _, _, details in (await journal(db)).audit])) == []


@pytest.mark.e2e
async def test_served_process_logs_no_patient_id_or_guest_email(
    tokens: Tokens, database_url: str, tmp_path: Path
) -> None:
    env = server_env(
        database_url, LIVE_LOG_LEVEL="DEBUG", LIVE_LOG_FORMAT="json", LIVE_ACCESS_LOG="true"
    )
    log = tmp_path / "serve.log"
    with serving(env, log) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            await full_flow(http, tokens)
    text = log.read_text()
    assert "application started" in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "loop_live.request"]
    assert {line["status"] for line in requests} >= {200, 201, 400, 401, 404}
    assert all(line["request_id"] for line in requests)
    assert leaks(text) == []
