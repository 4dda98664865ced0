"""PostgreSQL stopped and started under load, on a server the test owns (never the shared one):
clients see only 2xx and 503, never a 500 or a hang; /readyz follows the database by itself;
every acknowledged write is stored exactly once."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import asyncpg
import httpx
import pytest

from loop_live.platform.db.migrate import upgrade
from loop_live.platform.db.postgres import asyncpg_dsn
from tests.support.outage import Timeline, reader, readiness, writer
from tests.support.private_postgres import PrivatePostgres, private_postgres
from tests.support.servers import cli, server_env, serving
from tests.support.sessions import session_body

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

BOUND_SECONDS = 5.0  # no request may take longer, outage or not
ALLOWED = {("read", "200"), ("read", "503"), ("readyz", "200"), ("readyz", "503")}
ALLOWED |= {("write", "201"), ("write", "200"), ("write", "503")}


async def _outage(pg: PrivatePostgres, timeline: Timeline) -> None:
    for mode in ("fast", "immediate"):
        await asyncio.sleep(3)
        await asyncio.to_thread(pg.stop, mode)
        timeline.mark(f"pg_ctl stop -m {mode}")
        await asyncio.sleep(4)
        await asyncio.to_thread(pg.start)
        timeline.mark("pg_ctl start")
    await asyncio.sleep(5)


Acknowledged = dict[str, str | None]  # Idempotency-Key (also the title) -> the id it answered


async def _load(base: str, token: str, pg: PrivatePostgres) -> tuple[Timeline, Acknowledged]:
    timeline, stop, acknowledged = Timeline(), asyncio.Event(), Acknowledged()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=BOUND_SECONDS) as http:
        body = session_body(host_id="host-9", brand_id="brand-a")
        tasks = [asyncio.create_task(reader(http, stop, timeline)) for _ in range(4)]
        tasks += [
            asyncio.create_task(writer(http, f"outage-{n}", body, stop, timeline, acknowledged))
            for n in range(4)
        ]
        tasks.append(asyncio.create_task(readiness(http, stop, timeline)))
        try:
            await _outage(pg, timeline)
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    return timeline, acknowledged


async def _stored_titles(pg: PrivatePostgres) -> dict[str, list[str]]:
    conn = await asyncpg.connect(asyncpg_dsn(pg.url))
    try:
        rows = await conn.fetch("SELECT title, id::text AS id FROM sessions")
    finally:
        await conn.close()
    stored: dict[str, list[str]] = {}
    for row in rows:
        stored.setdefault(row["title"], []).append(row["id"])
    return stored


def _report(timeline: Timeline, acknowledged: Acknowledged, stored: dict[str, list[str]]) -> None:
    text = timeline.render() + "\n" + f"outcomes: {dict(timeline.outcomes)}\n"
    text += f"acknowledged writes: {len(acknowledged)}, stored rows: "
    text += f"{sum(len(ids) for ids in stored.values())} for {len(stored)} distinct keys, "
    text += f"{timeline.replayed} acknowledged by a replay\n"
    text += f"slowest seconds: {dict(timeline.slowest)}\n"
    out = Path(tempfile.gettempdir()) / "loop-live-outage-timeline.txt"
    out.write_text(text)
    print(f"\n{text}(also in {out})")


async def test_postgres_outage_under_load_is_503_then_recovers_without_loss(
    tmp_path: Path,
) -> None:
    with private_postgres() as pg:
        await upgrade(pg.url)
        env = server_env(pg.url, LIVE_DATABASE_ACQUIRE_TIMEOUT_SECONDS="1")
        token = cli("token", "--sub", "host-9", "--brand", "brand-a", "--scope",
                    "read:live write:live admin:live", env=env)  # fmt: skip
        with serving(env, tmp_path / "serve.log") as base:
            timeline, acknowledged = await _load(base, token, pg)
        stored = await _stored_titles(pg)
        _report(timeline, acknowledged, stored)
    log = (tmp_path / "serve.log").read_text()
    (Path(tempfile.gettempdir()) / "loop-live-outage-serve.log").write_text(log)

    _assert_only_2xx_and_503_within_bound(timeline)
    _assert_each_acknowledged_write_stored_once(acknowledged, stored)
    assert "Traceback" not in log
    assert "unhandled error" not in log
    logged = [
        line for line in log.splitlines() if " 503 unavailable " in line and "/readyz" not in line
    ]
    refused = timeline.outcomes[("read", "503")] + timeline.outcomes[("write", "503")]
    assert len(logged) == refused  # one line per failed request


def _assert_only_2xx_and_503_within_bound(timeline: Timeline) -> None:
    assert set(timeline.outcomes) <= ALLOWED, timeline.outcomes
    assert max(timeline.slowest.values()) < BOUND_SECONDS
    assert timeline.outcomes[("read", "503")]
    assert timeline.outcomes[("write", "503")]
    readyz = [s for second in sorted(timeline.seen) for s in timeline.seen[second] if "readyz" in s]
    assert "readyz 503" in readyz
    assert readyz[-1] == "readyz 200"


def _assert_each_acknowledged_write_stored_once(
    acknowledged: Acknowledged, stored: dict[str, list[str]]
) -> None:
    assert None not in acknowledged.values()  # every write was acknowledged in the end
    assert stored == {key: [ident] for key, ident in acknowledged.items()}
