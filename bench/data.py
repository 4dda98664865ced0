"""The benchmark's data: `loop-live demo-data --sessions N` in a database of its own, reused
while a marker says it still holds the same data (a comment on the PostgreSQL database, a
sidecar file beside the SQLite one)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from loop_live.demo import generator
from loop_live.platform.db import Connection, DatabaseLimits, Sql, open_database
from loop_live.platform.db.migrate import MIGRATIONS, upgrade
from loop_live.platform.db.postgres import asyncpg_dsn
from loop_live.platform.db.sql import one_of
from loop_live.platform.db.sqlite import sqlite_path
from serve import LOOP_LIVE

# The sessions demo-data generates; the demo series (generated up to a horizon from now) and
# the sessions the write benchmarks create in a brand of their own are not counted.
_DEMO_SESSIONS = Sql(
    "SELECT count(*) FROM sessions"
    f" WHERE series_id IS NULL AND {one_of('brand_id', generator.BRANDS)}"
)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


@asynccontextmanager
async def connection(url: str) -> AsyncIterator[Connection]:
    """A connection as the server's own (no statement timeout: the bench runs long queries)."""
    db = await open_database(url, 1, DatabaseLimits(statement_timeout_ms=0))
    try:
        async with db.read() as conn:
            yield conn
    finally:
        await db.close()


def fingerprint(sessions: int) -> str:
    """Changes when the data would: the generator, the migrations, or N."""
    digest = hashlib.sha256(str(sessions).encode())
    for path in [Path(generator.__file__), *sorted((MIGRATIONS / "versions").glob("*.py"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _fresh(marker: dict[str, Any] | None, wanted: str, max_age_h: float) -> bool:
    # The data is laid out around the moment it was loaded; old data has drifted (past sessions
    # still marked scheduled pile up at the head of the open-sessions index), so reload it.
    if marker is None or marker.get("data") != wanted:
        return False
    return time.time() - float(marker.get("loaded_at", 0)) < max_age_h * 3600


async def _count(url: str) -> int:
    async with connection(url) as conn:
        return int(await conn.fetchval(_DEMO_SESSIONS))


async def _reusable(
    url: str, marker: dict[str, Any] | None, wanted: str, sessions: int, max_age_h: float
) -> bool:
    if not _fresh(marker, wanted, max_age_h) or await _count(url) != sessions:
        return False
    age = (time.time() - float(marker["loaded_at"])) / 3600 if marker else 0
    print(f"reusing {url}: {sessions:,} sessions loaded {age:.1f} h ago")
    return True


def _stamp(wanted: str, sessions: int) -> str:
    return json.dumps({"data": wanted, "sessions": sessions, "loaded_at": time.time()})


async def prepare(
    url: str, sessions: int, reload: bool, max_age_h: float, env: dict[str, str]
) -> None:
    name = Path(sqlite_path(url)).name if is_sqlite(url) else make_url(url).database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to use database {name!r}: its name must contain 'bench'")
    if is_sqlite(url):
        await _prepare_sqlite(url, sessions, reload, max_age_h, env)
    else:
        await _prepare_postgres(url, name, sessions, reload, max_age_h, env)


# --- PostgreSQL: a database of its own, the marker in its comment ----------------------------


async def _admin(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        asyncpg_dsn(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    )


async def _pg_marker(admin: asyncpg.Connection, name: str) -> dict[str, Any] | None:
    text = await admin.fetchval(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
    )
    try:
        marker = json.loads(text) if text else None
    except ValueError:
        return None
    return marker if isinstance(marker, dict) else None


async def _prepare_postgres(
    url: str, name: str, sessions: int, reload: bool, max_age_h: float, env: dict[str, str]
) -> None:
    wanted = fingerprint(sessions)
    admin = await _admin(url)
    try:
        marker = await _pg_marker(admin, name)
        if not reload and await _reusable(url, marker, wanted, sessions, max_age_h):
            return
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        await upgrade(url)
        await _load(url, sessions, env)
        await admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{_stamp(wanted, sessions)}'")
    finally:
        await admin.close()


# --- SQLite: a file of its own, the marker in a file beside it -------------------------------


def _sidecar_marker(path: Path, sidecar: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads(sidecar.read_text()) if path.is_file() else None
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def _remove(path: Path, sidecar: Path) -> None:
    sidecar.unlink(missing_ok=True)  # first: a load cut short is never taken for current data
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)


async def _prepare_sqlite(
    url: str, sessions: int, reload: bool, max_age_h: float, env: dict[str, str]
) -> None:
    path = Path(sqlite_path(url))
    sidecar = path.with_name(path.name + ".bench.json")
    wanted = fingerprint(sessions)
    marker = _sidecar_marker(path, sidecar)
    if not reload and await _reusable(url, marker, wanted, sessions, max_age_h):
        return
    _remove(path, sidecar)
    await _cli(["migrate"], env)
    await _load(url, sessions, env)
    sidecar.write_text(_stamp(wanted, sessions))


# --- loading -------------------------------------------------------------------------------


async def _cli(args: list[str], env: dict[str, str]) -> None:
    proc = await asyncio.create_subprocess_exec(LOOP_LIVE, *args, env=env)
    if await proc.wait() != 0:
        raise SystemExit(f"loop-live {' '.join(args)} failed with exit code {proc.returncode}")


async def _load(url: str, sessions: int, env: dict[str, str]) -> None:
    started = time.perf_counter()
    await _cli(["demo-data", "--sessions", str(sessions)], env)
    loaded = time.perf_counter()
    if is_sqlite(url):
        # No ANALYZE here: keeping SQLite's statistics current is the service's job, and the
        # bench measures what the service does on its own.
        print(f"loaded in {loaded - started:.1f} s")
        return
    async with connection(url) as conn:
        # Statistics, and a visibility map as a table in steady state has (autovacuum's work).
        await conn.execute(Sql("VACUUM (ANALYZE)"))
    print(
        f"loaded in {loaded - started:.1f} s,"
        f" VACUUM ANALYZE in {time.perf_counter() - loaded:.1f} s"
    )
