"""Test databases built by running the migrations: a SQLite file, or a fresh PostgreSQL database.

`LIVE_TEST_DATABASE_URL` picks PostgreSQL (e.g. postgresql+asyncpg://postgres@127.0.0.1/test):
each test run creates its own database next to that one and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from loop_live.platform.db import Database, Sql
from loop_live.platform.db.migrate import upgrade
from loop_live.platform.db.postgres import asyncpg_dsn

TABLES = (
    "reminders_sent",
    "calendar_feeds",
    "series",
    "idempotency_keys",
    "audit_log",
    "outbox_events",
    "webhook_inbox",
    "webhook_deliveries",
    "webhook_subscriptions",
    "calls",
    "attendance_events",
    "registrations",
    "sessions",
)
PG_HINT = (
    "PostgreSQL is not reachable at {url}: start it, or unset LIVE_TEST_DATABASE_URL to run on "
    "SQLite only (CI sets CI=true and fails instead of skipping)"
)


def requested_url() -> str | None:
    return os.environ.get("LIVE_TEST_DATABASE_URL") or None


def unreachable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@asynccontextmanager
async def migrated_database(tmp_dir: Path) -> AsyncIterator[str]:
    base = requested_url()
    if base is None:
        url = f"sqlite+aiosqlite:///{tmp_dir / 'live.db'}"
        await upgrade(url)
        yield url
        return
    async with fresh_postgres(base) as url:
        await upgrade(url)
        yield url


@asynccontextmanager
async def fresh_postgres(base: str) -> AsyncIterator[str]:
    name = f"loop_live_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(asyncpg_dsn(base), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        unreachable(PG_HINT.format(url=base) + f" ({exc})")
        raise
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def count(db: Database, table: str, where: str = "1 = 1") -> int:
    """Rows in `table` (a constant of the test, never client input) matching `where`."""
    async with db.read() as conn:
        total: int = await conn.fetchval(Sql(f"SELECT COUNT(*) FROM {table} WHERE {where}"))
    return total
