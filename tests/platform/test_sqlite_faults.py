"""SQLite (its own file, whatever the run's database): another process holding the write lock
makes writes 503 within a bound, not 500 and not a long hang; reads go on; and no failed
request leaves the writer holding a transaction for the requests after it."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable
from pathlib import Path

import httpx
import pytest

from loop_live.platform.db.migrate import upgrade
from tests.support.app import in_loop_client, make_settings
from tests.support.auth import Tokens
from tests.support.sessions import create_session

HOLD_WRITE_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


@pytest.fixture
async def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "faults.db"
    await upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _hold_write_lock(path: Path, seconds: float) -> subprocess.Popen[bytes]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(path), str(seconds)], stdout=subprocess.PIPE
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == b"locked\n"
    return holder


def _create(http: httpx.AsyncClient, tokens: Tokens, title: str) -> Awaitable[httpx.Response]:
    return create_session(http, tokens.admin(), title=title)


async def test_another_process_holding_the_write_lock_is_503_within_the_bound(
    sqlite_file: Path, tokens: Tokens
) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{sqlite_file}",
        database_busy_timeout_ms=300,
        database_acquire_timeout_seconds=1,
    )
    async with in_loop_client(settings) as http:
        holder = _hold_write_lock(sqlite_file, 3)
        began = time.monotonic()
        refused = await asyncio.gather(*(_create(http, tokens, f"t{n}") for n in range(5)))
        elapsed = time.monotonic() - began
        listed = await http.get("/v1/live/sessions", headers=tokens())
        holder.communicate(timeout=10)
        created = await _create(http, tokens, "after the lock")
        listed_after = await http.get("/v1/live/sessions", headers=tokens())
    assert [r.status_code for r in refused] == [503] * 5
    assert {r.headers["Retry-After"] for r in refused} == {"1"}
    assert {r.json()["error"] for r in refused} == {"unavailable"}
    assert elapsed < 2.5  # the in-process queue (1 s) plus one busy wait (0.3 s), with margin
    assert listed.status_code == 200  # WAL: readers are not blocked by the writer
    assert created.status_code == 201
    assert [s["title"] for s in listed_after.json()["sessions"]] == ["after the lock"]


async def test_a_request_failing_inside_its_transaction_releases_the_write_lock(
    sqlite_file: Path, tokens: Tokens
) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{sqlite_file}")
    async with in_loop_client(settings) as http:
        created = await _create(http, tokens, "will be unreadable")
        session_id = created.json()["id"]
        _corrupt_scheduled_at(sqlite_file, session_id)
        edit = await http.patch(
            f"/v1/admin/sessions/{session_id}", json={"title": "x"}, headers=tokens.admin()
        )
        _assert_write_lock_free(sqlite_file)  # another process can write at once
        later = await _create(http, tokens, "a later write")
    assert edit.status_code >= 400  # the stored row cannot be read back
    assert later.status_code == 201


def _corrupt_scheduled_at(path: Path, session_id: str) -> None:
    # What an unpadded year used to leave behind: text that fails to load as a datetime.
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute(
            "UPDATE sessions SET scheduled_at = '140-11-19T18:54:04.000000+00:00' WHERE id = ?",
            (session_id,),
        )
    conn.close()


def _assert_write_lock_free(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    finally:
        conn.close()


async def test_a_read_failing_on_a_stored_row_leaves_no_reader_on_a_stale_snapshot(
    sqlite_file: Path, tokens: Tokens
) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{sqlite_file}")
    async with in_loop_client(settings) as http:
        created = await _create(http, tokens, "will be unreadable")
        _corrupt_scheduled_at(sqlite_file, created.json()["id"])
        for _ in range(4):  # once on each reader connection
            await http.get(f"/v1/sessions/{created.json()['id']}", headers=tokens())
        later = await _create(http, tokens, "a later write")
        seen = [
            await http.get(f"/v1/sessions/{later.json()['id']}", headers=tokens()) for _ in range(8)
        ]
    assert later.status_code == 201
    assert [r.status_code for r in seen] == [200] * 8
