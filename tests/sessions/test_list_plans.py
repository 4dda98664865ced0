"""The list's filters on their indexes: SQLite plans each on the intended index from the first
request (no ANALYZE has run), and contradictory filters answer without a statement."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from loop_live.platform.clock import utcnow
from loop_live.platform.cursor import CursorCodec
from loop_live.platform.db import Connection, Database, DatabaseLimits, Row, Sql
from loop_live.platform.db.database import Params
from loop_live.platform.db.migrate import upgrade
from loop_live.platform.db.sqlite import SqliteConnection, SqliteDatabase
from loop_live.sessions import listing
from loop_live.sessions import repository as repo
from tests.support.auth import BRAND, Tokens
from tests.support.sessions import at, insert_rows, list_page, session_row

BASE = listing.ListParams(brand=BRAND, viewer="member-1", limit=20)
ALONE = {
    "no filter": (BASE, "ix_sessions_brand_time"),
    "host": (replace(BASE, host_id="host-1"), "ix_sessions_brand_host_time"),
    "community": (replace(BASE, community_id="c-1"), "ix_sessions_brand_community_time"),
    "status": (replace(BASE, status="cancelled"), "ix_sessions_brand_status_time"),
    "open statuses": (replace(BASE, status="live,scheduled"), "ix_sessions_brand_open_time"),
    "kind": (replace(BASE, kind="office_hours"), "ix_sessions_brand_kind_time"),
    "category": (replace(BASE, category="sleep"), "ix_sessions_brand_category_time"),
    "month": (replace(BASE, month="2030-03"), "ix_sessions_brand_time"),
}
UPCOMING = {
    "upcoming": (BASE, "ix_sessions_brand_open_time"),
    "host": (replace(BASE, host_id="host-1"), "ix_sessions_brand_host_open_time"),
    "community": (replace(BASE, community_id="c-1"), "ix_sessions_brand_community_open_time"),
    "status": (replace(BASE, status="scheduled"), "ix_sessions_brand_status_time"),
    "kind": (replace(BASE, kind="live"), "ix_sessions_brand_kind_open_time"),
    "category": (replace(BASE, category="sleep"), "ix_sessions_brand_category_open_time"),
    "month": (replace(BASE, month="2030-03"), "ix_sessions_brand_open_time"),
}
SHAPES = {
    **ALONE,
    **{f"{k}, upcoming": (replace(p, upcoming="true"), ix) for k, (p, ix) in UPCOMING.items()},
    # an open status with a filter: that filter's open index, its status read off each entry
    **{
        f"{k}, scheduled": (replace(p, status="scheduled"), ix)
        for k, (p, ix) in UPCOMING.items()
        if k in ("host", "community", "kind", "category")
    },
}
CODEC = CursorCodec("test")


class Explaining(SqliteConnection):
    """A real connection on which the page's statement is explained instead of run."""

    async def fetch(self, sql: Sql, params: Params | None = None) -> Sequence[Row]:
        return await super().fetch(Sql("EXPLAIN QUERY PLAN " + sql.text), params)


class Recording:
    """A real connection that also keeps every statement sent through it."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.sent = conn, list[str]()
        self.dialect, self.row_lock = conn.dialect, conn.row_lock

    async def fetch(self, sql: Sql, params: Params | None = None) -> Sequence[Row]:
        self.sent.append(sql.text)
        return await self.conn.fetch(sql, params)

    async def fetchrow(self, sql: Sql, params: Params | None = None) -> Row | None:
        self.sent.append(sql.text)
        return await self.conn.fetchrow(sql, params)

    async def fetchval(self, sql: Sql, params: Params | None = None) -> Any:
        self.sent.append(sql.text)
        return await self.conn.fetchval(sql, params)

    async def execute(self, sql: Sql, params: Params | None = None) -> int:
        self.sent.append(sql.text)
        return await self.conn.execute(sql, params)

    async def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        await self.conn.copy(table, columns, rows)


@pytest.fixture(scope="module")
async def fresh_sqlite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SqliteDatabase]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fresh') / 'live.db'}"
    await upgrade(url)  # empty tables, and no ANALYZE has ever run
    db = await SqliteDatabase.open(url, 1, DatabaseLimits())
    yield db
    await db.close()


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_fresh_sqlite_database_walks_each_filters_index_in_list_order(
    fresh_sqlite: SqliteDatabase, shape: str
) -> None:
    params, index = SHAPES[shape]
    async with fresh_sqlite.read() as conn:
        plan = await repo.page(Explaining(conn.raw), listing.build_query(params, CODEC, utcnow()))
    page_rows = {row["id"] for row in plan if row["detail"] == "CO-ROUTINE s"}
    inner = [row["detail"] for row in plan if row["parent"] in page_rows]
    assert inner[0].startswith(f"SEARCH s USING INDEX {index} ("), inner
    assert not any("TEMP B-TREE" in detail for detail in inner), inner  # no sort of the range


@pytest.mark.parametrize("status", ["ended", "cancelled", "ended,cancelled"])
async def test_a_closed_status_with_upcoming_answers_empty_without_reading_sessions(
    db: Database, client: httpx.AsyncClient, tokens: Tokens, status: str
) -> None:
    past = utcnow() - timedelta(days=2)
    await insert_rows(db, "sessions", [session_row("over", past, status="ended", ended_at=past),
                                       session_row("off", at("2030-01-01T10:00:00+00:00"),
                                                   status="cancelled")])  # fmt: skip
    params = replace(BASE, status=status, upcoming="true")
    async with db.read() as conn:
        recording = Recording(conn)
        rows = await repo.page(recording, listing.build_query(params, CODEC, utcnow()))
    assert list(rows) == []
    assert recording.sent == []
    page = await list_page(client, tokens("member-1"), status=status, upcoming="true")
    assert page == {"sessions": [], "next_cursor": None}
