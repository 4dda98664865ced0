"""The live board in a real browser (Debian's Chromium driven by Playwright): a provider
webhook turns a session `live` and a registration raises its count, both without a reload;
the token never reaches a URL (the served process's request log is read back)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database
from tests.support.app import STREAM_SECRET
from tests.support.attendance import joined
from tests.support.auth import Tokens
from tests.support.databases import unreachable
from tests.support.fakes.getstream_server import call_json, session_started_event, webhook_headers
from tests.support.servers import server_env, serving
from tests.support.sessions import session_body
from tests.support.webhooks import attach_call

CHROMIUM = Path(os.environ.get("LIVE_TEST_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path(__file__).resolve().parents[2] / "artifacts" / "board.png"
TITLE = "Breathing together"


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        unreachable(f"no browser at {CHROMIUM}: run `make browser` (apt-get install chromium)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        unreachable("playwright is not installed: run `make install`")
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield await browser.new_page(viewport={"width": 1200, "height": 700})
        finally:
            await browser.close()


async def webhook(http: httpx.AsyncClient, event: dict[str, Any]) -> None:
    raw = json.dumps(event).encode()
    headers = webhook_headers(raw, "loop-live-local", STREAM_SECRET)
    response = await http.post("/webhooks/stream", content=raw, headers=headers)
    assert response.json()["outcome"] == "applied", response.text


async def test_the_board_follows_a_session_going_live_and_filling_up(
    page: Any, database_url: str, tmp_dir: Path, tokens: Tokens, db: Database
) -> None:
    from playwright.async_api import expect

    log = tmp_dir / "board-serve.log"
    env = server_env(database_url, LIVE_ACCESS_LOG="true", LIVE_LOG_FORMAT="json")
    with serving(env, log) as base:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            soon = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
            body = session_body(title=TITLE, scheduled_at=soon)
            created = await http.post("/v1/sessions", json=body, headers=tokens.admin())
            session = created.json()
            cid = await attach_call(db, session["id"])

            await page.goto(f"{base}/board")
            await page.fill("#token", tokens.admin()["Authorization"].removeprefix("Bearer "))
            await page.click("button[type=submit]")
            row = page.locator("#sessions tbody tr", has_text=TITLE)
            await expect(row.locator(".status")).to_have_text("scheduled")
            await expect(page.locator("#sign-in")).to_be_hidden()
            await page.evaluate("window.notReloaded = true")

            call_type, _, call_id = cid.partition(":")
            await webhook(http, session_started_event(call_json(call_type, call_id), "rtc-1"))
            await expect(row.locator(".status")).to_have_text("live", timeout=3000)

            member = await http.post(
                f"/v1/sessions/{session['id']}/registrations", headers=tokens("member-1")
            )
            assert member.status_code == 201
            await expect(row.locator(".registered")).to_have_text("1 / 10", timeout=3000)
            assert await page.evaluate("window.notReloaded") is True

            await row.click()
            attendee = page.locator("#attendance tbody tr", has_text="member-1")
            await expect(attendee).to_have_count(1)
            await webhook(http, joined(cid, "member-1", f"c-{uuid.uuid4()}", datetime.now(UTC)))
            await expect(row.locator(".attended")).to_have_text("1", timeout=3000)
            await expect(attendee.locator("td").nth(5)).to_have_text("1", timeout=3000)

            SCREENSHOT.parent.mkdir(exist_ok=True)
            await page.screenshot(path=str(SCREENSHOT), full_page=True)
            print(f"board screenshot: {SCREENSHOT}")
            await page.close()  # its streams end, so the server stops without waiting
    served = log.read_text()
    assert "/v1/live/sessions" in served  # the request log is on
    assert "eyJ" not in served  # no token (a JWT) in any logged line


async def test_the_board_page_loads_without_a_token_and_is_locked_down(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/board")
    script = await client.get("/board/board.js")
    missing = await client.get("/board/secrets.txt")

    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert script.status_code == 200
    assert "Authorization" in script.text
    assert missing.status_code == 404
