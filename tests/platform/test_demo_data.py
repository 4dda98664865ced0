"""`loop-live demo-data`: a bulk load that leaves the schema (and SQLite's pinned planner
statistics) exactly as it found them."""

from __future__ import annotations

from datetime import UTC, datetime

from loop_live.demo import generator, loader
from loop_live.platform.db import Database, Sql
from loop_live.platform.db.migrate import schema_drift
from loop_live.platform.db.sqlite import SESSION_STATISTICS

STATISTICS = Sql("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'sessions'")


async def test_demo_data_loads_its_rows_and_rebuilds_every_index(
    db: Database, database_url: str
) -> None:
    loaded: list[int] = []
    await loader.load(db, 1_200, loaded.append)
    assert sum(loaded) == 1_200
    async with db.read() as conn:
        assert await conn.fetchval(Sql("SELECT count(*) FROM sessions")) == 1_200
        assert await conn.fetchval(Sql("SELECT count(*) FROM registrations")) > 1_200
        if conn.dialect == "sqlite":
            pinned = {row["idx"]: row["stat"] for row in await conn.fetch(STATISTICS)}
            assert pinned == SESSION_STATISTICS
    assert await schema_drift(database_url) == []


def test_demo_ids_arrive_in_key_order_so_a_load_appends_to_every_key_index() -> None:
    made = list(generator.batches(3_000, datetime(2026, 12, 3, tzinfo=UTC), size=1_000))
    sessions = [str(row[0]) for batch in made for row in batch.sessions]
    registrations = [str(row[0]) for batch in made for row in batch.registrations]
    assert sessions == sorted(sessions)
    assert len(set(sessions)) == len(sessions) == 3_000
    assert registrations == sorted(registrations)
    assert len(set(registrations)) == len(registrations)
    again = next(generator.batches(1_000, datetime(2026, 12, 3, tzinfo=UTC), size=1_000))
    assert [str(row[0]) for row in again.sessions] == sessions[:1_000]  # deterministic
