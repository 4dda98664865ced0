"""A failed statement never leaves the SQLite writer holding its lock (ENGINEERING.md trap).

An unreadable value (here a year-140 instant, stored unpadded as older versions could) makes a
fetch fail half-way; its statement must still be closed and the transaction rolled back, or
every other writer (another worker process) waits on `database is locked`.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from loop_live.platform.db import DatabaseLimits, Sql
from loop_live.platform.db.migrate import upgrade
from loop_live.platform.db.sqlite import SqliteDatabase

_UNREADABLE = "140-11-19T18:54:04.000000+00:00"
_BROKEN = Sql(
    "INSERT INTO webhook_inbox (webhook_id, brand_id, event_type, call_cid, received_at)"
    " VALUES (:id, 'brand-a', 'call.session_started', NULL, :at)"
)
_READ = Sql("SELECT webhook_id, received_at FROM webhook_inbox ORDER BY webhook_id")
_GOOD = Sql(
    "INSERT INTO webhook_inbox (webhook_id, brand_id, event_type, call_cid, received_at)"
    " VALUES (:id, 'brand-a', 'user.updated', NULL, '2030-01-01T00:00:00.000000+00:00')"
)


async def _write_then_read(db: SqliteDatabase) -> None:
    async with db.write() as conn:
        await conn.execute(_GOOD, {"id": "1-lost"})
        await conn.fetch(_READ)


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'writer.db'}"
    await upgrade(url)
    return url


async def test_a_failed_read_inside_a_write_leaves_other_writers_free(sqlite_url: str) -> None:
    limits = DatabaseLimits()
    here = await SqliteDatabase.open(sqlite_url, 1, limits)
    other = await SqliteDatabase.open(sqlite_url, 1, limits)
    try:
        async with here.write() as conn:
            await conn.execute(_BROKEN, {"id": "0-broken", "at": _UNREADABLE})
        with pytest.raises(ValueError, match="isoformat"):
            await _write_then_read(here)

        started = time.monotonic()
        async with other.write() as conn:  # another process's writer
            await conn.execute(_GOOD, {"id": "2-other"})
        async with here.write() as conn:
            await conn.execute(_GOOD, {"id": f"3-{uuid.uuid4()}"})
        assert time.monotonic() - started < 1.0
    finally:
        await here.close()
        await other.close()
    with sqlite3.connect(sqlite_url.split("///", 1)[1]) as check:
        ids = [row[0] for row in check.execute("SELECT webhook_id FROM webhook_inbox")]
    assert sorted(ids)[:2] == ["0-broken", "2-other"]
    assert len(ids) == 3  # the failed transaction's row is gone
