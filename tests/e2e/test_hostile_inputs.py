"""Hostile requests on a real socket against `loop-live serve --workers 2` (SPEC §11).

The test client hands the app a parsed request; here the bytes go through the real HTTP
server first (its parser, chunked bodies, raw bytes in the request target), and two worker
processes share one database, so a request that poisoned a connection would show up as
failures of the good writes that follow it.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.app import STREAM_SECRET
from tests.support.auth import Tokens
from tests.support.fakes.getstream_server import webhook_headers
from tests.support.servers import server_env, serving
from tests.support.sessions import session_body
from tests.support.webhooks import API_KEY

pytestmark = pytest.mark.e2e
GOOD_WRITES = 40


def raw_exchange(base: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; read one response (Content-Length framed, the server closes)."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=15) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        headers = {k.lower(): v for k, v in headers.items()}
        while len(body) < int(headers.get("content-length", "0")):
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(lines[0].split()[1]), headers, body


def http_request(method: str, target: bytes, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} ".encode() + target + b" HTTP/1.1", b"Host: live", b"Connection: close"]
    lines += [f"{k}: {v}".encode() for k, v in headers.items()]
    if body and "Transfer-Encoding" not in headers:
        lines.append(f"Content-Length: {len(body)}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def chunked(body: bytes, size: int = 4096) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def hostile_requests(auth: dict[str, str]) -> dict[str, bytes]:
    json_auth = {**auth, "Content-Type": "application/json"}
    deep = b"[" * 100_000 + b"]" * 100_000
    webhook = b'{"type": "call.session_started", "call_cid": "livestream:\xff"}'
    signed = webhook_headers(webhook, API_KEY, STREAM_SECRET)
    return {
        "bad-utf8-body": http_request("POST", b"/v1/sessions", json_auth, b'{"title": "\xff"}'),
        "deep-body": http_request("POST", b"/v1/sessions", json_auth, deep),
        "deep-chunked-body": http_request(
            "POST", b"/v1/sessions", {**json_auth, "Transfer-Encoding": "chunked"}, chunked(deep)
        ),
        "year-140": http_request(
            "POST",
            b"/v1/sessions",
            json_auth,
            json.dumps(session_body(scheduled_at="0140-11-19T18:54:04Z")).encode(),
        ),
        "year-9999": http_request(
            "POST",
            b"/v1/sessions",
            json_auth,
            json.dumps(session_body(scheduled_at="9999-12-31T23:30:00Z")).encode(),
        ),
        "nul-in-title": http_request(
            "POST", b"/v1/sessions", json_auth, json.dumps(session_body(title="a\x00b")).encode()
        ),
        "array-body": http_request("POST", b"/v1/sessions", json_auth, b"[]"),
        "long-tz": http_request("GET", b"/v1/live/sessions?tz=" + b"a" * 300, auth),
        "escaped-bad-utf8-tz": http_request("GET", b"/v1/live/sessions?tz=%ff%fe", auth),
        "escaped-utf8-cursor": http_request("GET", b"/v1/live/sessions?cursor=%C3%A9t%C3%A9", auth),
        "repeated-limit": http_request("GET", b"/v1/live/sessions?limit=1&limit=2", auth),
        "month-140": http_request("GET", b"/v1/live/sessions?month=0140-11", auth),
        "webhook-bad-utf8": http_request("POST", b"/webhooks/stream", signed, webhook),
    }


def _envelope(name: str, status: int, headers: dict[str, str], body: bytes) -> None:
    assert headers["content-type"].startswith("application/json"), (name, body[:200])
    document = json.loads(body)
    if status == 200:
        assert (document["received"], document["outcome"]) == (True, "ignored")
    else:
        assert (status, document["error"]) == (400, "validation_error"), document
        assert document["message"]


async def _good_writes(base: str, auth: dict[str, str]) -> list[int]:
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=30) as http:
        responses = await asyncio.gather(
            *(
                http.post("/v1/sessions", json=session_body(title=f"Session {n}"))
                for n in range(GOOD_WRITES)
            )
        )
    return [r.status_code for r in responses]


async def test_hostile_requests_get_the_envelope_and_good_writes_follow(
    database_url: str, tmp_path: Path, tokens: Tokens
) -> None:
    auth = tokens.admin()
    with serving(server_env(database_url), tmp_path / "serve.log", "--workers", "2") as base:
        for name, request in hostile_requests(auth).items():
            status, headers, body = raw_exchange(base, request)
            assert status in (200, 400), (name, status, body[:300])
            _envelope(name, status, headers, body)

        # Raw non-ASCII bytes in the request target never reach the app: the server's parser
        # answers a plain-text 400 itself (recorded in docs/decisions.md).
        raw_target = http_request("GET", "/v1/live/sessions?cursor=été".encode(), auth)
        assert raw_exchange(base, raw_target)[0] == 400

        assert await _good_writes(base, auth) == [201] * GOOD_WRITES
        async with httpx.AsyncClient(base_url=base, headers=auth) as http:
            listed = await http.get("/v1/live/sessions", params={"limit": 100})
        assert listed.status_code == 200, listed.text
        assert len(listed.json()["sessions"]) == GOOD_WRITES
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
