"""`loop-live worker` as a real process: `--once` prunes and exits; a running worker stops
cleanly and promptly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from loop_live.platform.db import Database
from tests.support.databases import count
from tests.support.retention import add_events, add_inbox, add_keys
from tests.support.servers import CLI, server_env

pytestmark = pytest.mark.e2e


async def test_worker_once_prunes_expired_rows_and_exits(database_url: str, db: Database) -> None:
    now = datetime.now(UTC)
    await add_keys(db, [now - timedelta(minutes=1), now + timedelta(hours=1)])
    await add_events(db, [now - timedelta(days=8), None], at=now - timedelta(days=9))
    await add_inbox(db, [now - timedelta(days=31), now - timedelta(days=1)])

    worker = await asyncio.create_subprocess_exec(
        str(CLI), "worker", "--once", env=server_env(database_url),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(worker.communicate(), 60)

    assert worker.returncode == 0, stderr.decode()
    assert "idempotency_keys=1 outbox_events=1 webhook_inbox=1" in stderr.decode()
    assert await count(db, "idempotency_keys") == 1
    assert await count(db, "outbox_events") == 1  # the undelivered one stays, now delivered
    assert await count(db, "outbox_events", "published_at IS NULL") == 0
    assert await count(db, "webhook_inbox") == 1


async def test_running_worker_exits_cleanly_on_sigterm(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = await asyncio.create_subprocess_exec(
            str(CLI), "worker", "--interval", "3600", env=server_env(database_url),
            stdout=out, stderr=out,
        )  # fmt: skip
    try:
        await _wait_for_line(log, "retention pruned")
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(worker.wait(), 10)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()

    assert code == 0, log.read_text()
    assert time.monotonic() - started < 5
    assert "worker stopped" in log.read_text()
    assert "Traceback" not in log.read_text()


async def _wait_for_line(log: Path, text: str) -> None:
    deadline = time.monotonic() + 30
    while text not in log.read_text():
        assert time.monotonic() < deadline, f"the worker never logged {text!r}:\n{log.read_text()}"
        await asyncio.sleep(0.05)
