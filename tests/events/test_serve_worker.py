"""`loop-live serve` on the embedded database delivers events with one command (the worker runs
in-process), `--no-worker` leaves them waiting, and shutdown stops the worker cleanly; the
commands `outbox status` and `events tail` print what an operator needs."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from loop_live.platform import journal
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Database
from tests.support.auth import Tokens
from tests.support.events import emit, undelivered
from tests.support.servers import CLI, cli, server_env, serving
from tests.support.sessions import session_body

pytestmark = pytest.mark.e2e


def create_session(base: str) -> str:
    response = httpx.post(
        f"{base}/v1/sessions", json=session_body(), headers=Tokens().admin(), timeout=10
    )
    assert response.status_code == 201, response.text
    session_id: str = response.json()["id"]
    return session_id


async def wait_undelivered(db: Database, target: int) -> None:
    for _ in range(100):
        if await undelivered(db) == target:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{await undelivered(db)} undelivered, expected {target}")


async def test_serve_on_sqlite_delivers_events_in_process(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("the in-process worker is on by default on SQLite only")
    env = server_env(database_url, LIVE_OUTBOX_POLL_SECONDS="0.05")
    with serving(env, tmp_path / "serve.log") as base:
        create_session(base)
        await wait_undelivered(db, 0)
    log = (tmp_path / "serve.log").read_text()
    assert "in-process worker stopped" in log
    assert "Traceback" not in log


async def test_no_worker_leaves_the_outbox_to_loop_live_worker(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    env = server_env(database_url, LIVE_OUTBOX_POLL_SECONDS="0.05")
    with serving(env, tmp_path / "serve.log", "--no-worker") as base:
        create_session(base)
        await asyncio.sleep(0.5)
        assert await undelivered(db) == 1
    assert "in-process worker" not in (tmp_path / "serve.log").read_text()


async def test_outbox_status_reports_backlog_and_age(database_url: str, db: Database) -> None:
    await emit(db, ["s1", "s2"], per_aggregate=2, start=utcnow() - timedelta(hours=1))
    out = cli("outbox", "status", env=server_env(database_url))
    assert "backlog: 4 events" in out
    age = float(out.split("oldest undelivered: ")[1].split(" s")[0])
    assert 3600 <= age < 3700
    assert "failing subscriptions:" in out


async def test_events_tail_prints_new_events_of_one_type(database_url: str, db: Database) -> None:
    tail = subprocess.Popen(
        [str(CLI), "events", "tail", "--type", "live.session.created.v1"],
        env=server_env(database_url),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert tail.stdout is not None
    reading = asyncio.ensure_future(asyncio.to_thread(tail.stdout.readline))
    try:
        for _ in range(40):  # tail starts from "now": write until it has started and printed
            async with db.write() as conn:
                await journal.emit(conn, "brand-a", "live.session.updated.v1", "s1", {}, utcnow())
                await journal.emit(conn, "brand-a", "live.session.created.v1", "s9", {}, utcnow())
            done, _ = await asyncio.wait({reading}, timeout=0.5)
            if done:
                break
        line = await asyncio.wait_for(reading, 1)
    finally:
        tail.terminate()
        tail.wait(10)
        tail.stdout.close()
    assert '"type":"live.session.created.v1"' in line.replace(" ", "")
