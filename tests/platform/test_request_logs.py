"""Request ids and request lines: every line written during a request carries its id, the id
is echoed as X-Request-Id and recorded in the audit row, a failed request writes one line, and
a real 500 one traceback."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from loop_live.platform import logs
from loop_live.platform.db import Database, Sql
from loop_live.sessions import listing as session_listing
from tests.support.auth import Tokens
from tests.support.sessions import create_session, session_body


class JsonLines(logging.Handler):
    """What `--log-format json` would print, kept as parsed lines."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logs.JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))

    def of(self, logger: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["logger"] == logger]


@pytest.fixture
def captured() -> Iterator[JsonLines]:
    handler, root = JsonLines(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


async def test_request_id_is_echoed_and_recorded_in_the_audit_row(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    headers = {**tokens.admin(), "X-Request-Id": "trace-42.a:b"}
    created = await create_session(client, headers)
    assert created.status_code == 201
    assert created.headers["x-request-id"] == "trace-42.a:b"
    async with db.read() as conn:
        ids = await conn.fetch(Sql("SELECT request_id FROM audit_log"))
    assert [row["request_id"] for row in ids] == ["trace-42.a:b"]


@pytest.mark.parametrize(
    "given", [None, b"", b"guest@example.org", b"x" * 65, b"a b", "é".encode(), b"eyJ.a/b+c="]
)
async def test_missing_or_unsafe_request_ids_are_replaced(
    client: httpx.AsyncClient, given: bytes | None
) -> None:
    headers: dict[bytes, bytes] = {} if given is None else {b"x-request-id": given}
    first = await client.get("/healthz", headers=headers)
    second = await client.get("/healthz", headers=headers)
    ids = {first.headers["x-request-id"], second.headers["x-request-id"]}
    assert len(ids) == 2
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


async def test_a_failed_request_writes_one_line_with_its_id_and_code(
    client: httpx.AsyncClient, tokens: Tokens, captured: JsonLines
) -> None:
    headers = {**tokens.admin(), "X-Request-Id": "fail-1"}
    body = session_body(max_participants=0)
    response = await client.post("/v1/sessions", json=body, headers=headers)
    assert response.status_code == 400
    lines = captured.of("loop_live.request")
    assert len(lines) == 1, lines
    line = lines[0]
    assert {k: line[k] for k in ("level", "method", "route", "status", "code", "request_id")} == {
        "level": "warning",
        "method": "POST",
        "route": "/v1/sessions",
        "status": 400,
        "code": "validation_error",
        "request_id": "fail-1",
    }
    assert line["duration_ms"] >= 0
    assert "traceback" not in line
    served = [entry for entry in captured.lines if entry["logger"] != "httpx"]  # the test's client
    assert all(entry.get("request_id") == "fail-1" for entry in served), served


async def test_a_real_500_logs_one_line_with_one_traceback(
    client: httpx.AsyncClient,
    tokens: Tokens,
    captured: JsonLines,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*args: Any) -> Any:
        raise RuntimeError("a bug in the list route")

    monkeypatch.setattr(session_listing, "page", broken)
    headers = {**tokens(), "X-Request-Id": "bug-1"}
    response = await client.get("/v1/live/sessions", headers=headers)
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    with_traceback = [line for line in captured.lines if "traceback" in line]
    assert len(with_traceback) == 1, captured.lines
    line = with_traceback[0]
    assert (line["logger"], line["status"], line["code"]) == (
        "loop_live.request",
        500,
        "internal_error",
    )
    assert "RuntimeError: a bug in the list route" in line["traceback"]
    assert line["request_id"] == "bug-1"


async def test_successful_requests_are_quiet_unless_access_log_is_on(
    client: httpx.AsyncClient, captured: JsonLines, database_url: str
) -> None:
    from tests.support.app import app_client

    assert (await client.get("/healthz")).status_code == 200
    assert captured.of("loop_live.request") == []
    async with app_client(database_url, access_log=True) as logged:
        assert (await logged.get("/healthz")).status_code == 200
    [line] = captured.of("loop_live.request")
    assert (line["level"], line["route"], line["status"], line["code"]) == (
        "info",
        "/healthz",
        200,
        None,
    )


def test_console_format_names_the_request() -> None:
    record = logging.LogRecord("loop_live.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    token = logs.begin("req-7")
    try:
        text = logs.ConsoleFormatter().format(record)
    finally:
        logs.end(token)
    assert text.endswith("INFO    loop_live.x: hello you [request_id=req-7]")
