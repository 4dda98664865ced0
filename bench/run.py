"""`make bench`: the list endpoint over N demo sessions on PostgreSQL, next to a hello world.

Loads `loop-live demo-data --sessions N` into a dedicated database (reused while it still holds
the same data), serves it with `loop-live serve`, measures with wrk (bench/load.py) and prints
req/s, p50 and p99 with the ratio of each endpoint to GET /healthz measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from load import Result, measure
from loop_live.demo import generator
from loop_live.platform.auth.verifiers import mint_dev_token
from loop_live.platform.cursor import CursorCodec
from loop_live.platform.db.migrate import MIGRATIONS, upgrade
from loop_live.platform.db.postgres import asyncpg_dsn
from loop_live.sessions import listing
from plans import BRAND, PAGE, VIEWER, Check, list_statement, plan_shapes, print_plans, server_like

HOST = "127.0.0.1"
DEFAULT_URL = f"postgresql+asyncpg://postgres@{HOST}:5432/loop_live_bench"
STRICT_FROM = 100_000  # below this many sessions the run is a smoke test: ratios only warn
LIST_FLOOR, DEEP_MARGIN, DEEP_FRACTION = 0.05, 0.8, 0.8
LIST_PATH = "/v1/live/sessions"
LOOP_LIVE = shutil.which("loop-live", path=str(Path(sys.executable).parent)) or "loop-live"


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    params: listing.ListParams | None = None  # the list query behind it, for EXPLAIN
    deep_of: str | None = None  # the first-page target a deep page must keep up with


# --- the database ------------------------------------------------------------------------


def fingerprint(sessions: int) -> str:
    """Changes when the data would: the generator, the migrations, or N."""
    digest = hashlib.sha256(str(sessions).encode())
    for path in [Path(generator.__file__), *sorted((MIGRATIONS / "versions").glob("*.py"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


async def _admin(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        asyncpg_dsn(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    )


async def _marker(admin: asyncpg.Connection, name: str) -> dict[str, Any] | None:
    text = await admin.fetchval(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
    )
    try:
        marker = json.loads(text) if text else None
    except ValueError:
        return None
    return marker if isinstance(marker, dict) else None


def _fresh(marker: dict[str, Any] | None, wanted: str, max_age_h: float) -> bool:
    # The data is laid out around the moment it was loaded; old data has drifted (past sessions
    # still marked scheduled pile up at the head of the open-sessions index), so reload it.
    if marker is None or marker.get("data") != wanted:
        return False
    return time.time() - float(marker.get("loaded_at", 0)) < max_age_h * 3600


async def _count(url: str) -> int:
    async with server_like(url) as conn:
        return int(await conn.fetchval("SELECT count(*) FROM sessions"))


async def prepare(
    url: str, sessions: int, reload: bool, max_age_h: float, env: dict[str, str]
) -> None:
    name = make_url(url).database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to use database {name!r}: its name must contain 'bench'")
    wanted = fingerprint(sessions)
    admin = await _admin(url)
    try:
        marker = await _marker(admin, name)
        if not reload and _fresh(marker, wanted, max_age_h) and await _count(url) == sessions:
            age = (time.time() - float(marker["loaded_at"])) / 3600 if marker else 0
            print(f"reusing {name}: {sessions:,} sessions loaded {age:.1f} h ago")
            return
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        await upgrade(url)
        await _load(url, sessions, env)
        stamp = json.dumps({"data": wanted, "sessions": sessions, "loaded_at": time.time()})
        await admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{stamp}'")
    finally:
        await admin.close()


async def _load(url: str, sessions: int, env: dict[str, str]) -> None:
    started = time.perf_counter()
    cmd = [LOOP_LIVE, "demo-data", "--sessions", str(sessions)]
    proc = await asyncio.create_subprocess_exec(*cmd, env=env)
    if await proc.wait() != 0:
        raise SystemExit(f"demo-data failed with exit code {proc.returncode}")
    loaded = time.perf_counter()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        # Statistics, and a visibility map as a table in steady state has.
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()
    print(
        f"loaded in {loaded - started:.1f} s,"
        f" VACUUM ANALYZE in {time.perf_counter() - loaded:.1f} s"
    )


# --- positions in the data ---------------------------------------------------------------


async def position(
    url: str, params: listing.ListParams, codec: CursorCodec
) -> tuple[int, int, str]:
    """The query's row count, and a cursor DEEP_FRACTION of the way through (at offset)."""
    text, args = await list_statement(params, codec, limit=None)
    async with server_like(url) as conn:
        total = int(await conn.fetchval(f"SELECT count(*) FROM ({text}) q", *args))
        offset = min(int(total * DEEP_FRACTION), total - 2 * PAGE - 1)  # room for two pages
        row = await conn.fetchrow(
            f"SELECT scheduled_at, id FROM ({text}) q ORDER BY scheduled_at, id"
            f" OFFSET ${len(args) + 1} LIMIT 1",
            *args,
            max(offset, 0),
        )
    if row is None or offset < 0:
        raise SystemExit(f"{total} rows for {params}: too few for a deep page")
    return offset, total, codec.encode([row["scheduled_at"].isoformat(), str(row["id"])])


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-4000:]


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"loop-live serve exited with {proc.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"loop-live serve was not ready within 60 s:\n{_tail(log)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """`loop-live serve` on a free local port, stopped on the way out whatever happens."""
    base = f"http://{HOST}:{free_port()}"
    cmd = [LOOP_LIVE, "serve", "--host", HOST, "--port", base.rsplit(":", 1)[1]]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(base, proc, log)
            yield base
        finally:
            _stop(proc)


# --- targets, measurement, report ---------------------------------------------------------


def _list_target(name: str, params: listing.ListParams, deep_of: str | None = None) -> Target:
    query = {k: v for k, v in asdict(params).items() if v is not None}
    del query["brand"], query["viewer"]  # the token's; the other fields are query parameters
    return Target(name, f"{LIST_PATH}?{urlencode(query)}", params, deep_of)


def _fetch(client: httpx.Client, target: Target) -> dict[str, Any]:
    response = client.get(target.path)
    if response.status_code != 200:
        raise SystemExit(
            f"{target.name}: {target.path} answered {response.status_code}: {response.text}"
        )
    body: dict[str, Any] = response.json()
    return body


def list_targets(url: str, client: httpx.Client, codec: CursorCodec) -> list[Target]:
    """First pages, and deep pages reached from a cursor DEEP_FRACTION of the way through."""
    targets: list[Target] = []
    base = listing.ListParams(brand=BRAND, viewer=VIEWER, limit=PAGE)
    for label, params in (
        ("upcoming", replace(base, upcoming="true")),
        ("scheduled+fitness", replace(base, status="scheduled", category="fitness")),
    ):
        first = _list_target(f"list {label}, first page", params)
        offset, total, seed = asyncio.run(position(url, params, codec))
        # One page walked from the computed position: the cursor measured is one the server issued.
        cursor = _fetch(client, _list_target("seed", replace(params, cursor=seed)))["next_cursor"]
        deep = f"list {label}, page from row {offset + PAGE + 2:,} of {total:,}"
        targets += [first, _list_target(deep, replace(params, cursor=cursor), first.name)]
    return targets


def check_responses(client: httpx.Client, targets: Sequence[Target]) -> None:
    """Every endpoint answers 200 once before wrk hammers it, and lists are not empty."""
    for target in targets:
        body = _fetch(client, target)
        if target.params is not None and not body.get("sessions"):
            raise SystemExit(f"{target.name}: {target.path} returned no sessions")


def measure_all(
    base: str, targets: Sequence[Target], headers: dict[str, str], a: argparse.Namespace
) -> dict[str, Result]:
    """Round-robin over the targets, so that a burst of other work on the machine hits them all
    alike; per target the median round by req/s, with every round's errors added up."""
    runs: dict[str, list[Result]] = {t.name: [] for t in targets}
    for n in range(1, max(1, a.rounds) + 1):
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"round {n} of {a.rounds} (load average before: {load})", flush=True)
        for target in targets:
            runs[target.name].append(
                measure(
                    base + target.path,
                    headers,
                    connections=a.connections,
                    duration_s=a.duration,
                    warmup_s=a.warmup,
                )
            )
    return {name: _median(results) for name, results in runs.items()}


def _median(results: list[Result]) -> Result:
    middle = sorted(results, key=lambda r: r.requests_per_s)[len(results) // 2]
    return replace(
        middle,
        requests=sum(r.requests for r in results),
        non_2xx=sum(r.non_2xx for r in results),
        socket_errors=sum(r.socket_errors for r in results),
    )


def ratio_checks(targets: Sequence[Target], results: dict[str, Result]) -> list[Check]:
    hello = results[targets[0].name].requests_per_s
    checks: list[Check] = []
    for target in targets[1:]:
        rps = results[target.name].requests_per_s
        ratio = rps / hello if hello else 0.0
        problem = None if ratio >= LIST_FLOOR else f"{ratio:.3f}x hello"
        checks.append(Check(f"{target.name} >= {LIST_FLOOR}x hello ({ratio:.3f}x)", problem))
        if target.deep_of is not None:
            first = results[target.deep_of].requests_per_s
            share = rps / first if first else 0.0
            problem = None if share >= DEEP_MARGIN else f"{share:.2f}x the first page"
            name = f"{target.name} >= {DEEP_MARGIN}x first page ({share:.2f}x)"
            checks.append(Check(name, problem))
    return checks


def print_table(targets: Sequence[Target], results: dict[str, Result]) -> None:
    hello = results[targets[0].name].requests_per_s
    width = max(len(t.name) for t in targets)
    print(f"\n{'endpoint':<{width}}  {'req/s':>9}  {'p50 ms':>8}  {'p99 ms':>8}  {'x hello':>8}")
    for target in targets:
        r = results[target.name]
        ratio = r.requests_per_s / hello if hello else 0.0
        print(
            f"{target.name:<{width}}  {r.requests_per_s:>9.1f}  {r.p50_ms:>8.2f}  {r.p99_ms:>8.2f}"
            f"  {ratio:>8.3f}"
        )


def verdict(checks: Sequence[Check], results: dict[str, Result], strict: bool) -> int:
    print()
    failed = False
    for check in checks:
        fails = check.problem is not None and strict and check.binding
        word = "PASS" if check.problem is None else ("FAIL" if fails else "WARN")
        print(f"{word}  {check.name}" + ("" if check.problem is None else f": {check.problem}"))
        failed |= fails
    for name, r in results.items():
        if r.non_2xx or r.socket_errors:
            print(
                f"FAIL  {name}: {r.non_2xx} non-2xx and {r.socket_errors} socket errors"
                f" in {r.requests} requests"
            )
            failed = True
    if not strict:
        print(f"(smoke run below {STRICT_FROM:,} sessions: ratios and plans only warn)")
    return 1 if failed else 0


# --- main ---------------------------------------------------------------------------------


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through `serving`, which stops the server


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sessions", type=int, default=1_000_000)
    p.add_argument("--duration", type=float, default=10, help="seconds per measured round")
    p.add_argument("--rounds", type=int, default=3, help="rounds per endpoint; the median is kept")
    p.add_argument("--warmup", type=float, default=2, help="seconds of discarded warm-up per round")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--database-url", default=DEFAULT_URL)
    p.add_argument("--pool-size", type=int, help="LIVE_DATABASE_POOL_SIZE for the server")
    p.add_argument("--reload", action="store_true", help="reload the data even if it is current")
    p.add_argument("--max-age-hours", type=float, default=24, help="reload data older than this")
    p.add_argument("--show-plans", action="store_true", help="print each plan tree")
    return p.parse_args(argv)


def server_env(a: argparse.Namespace, auth_secret: str) -> dict[str, str]:
    env = {
        **os.environ,
        "LIVE_DATABASE_URL": a.database_url,
        "LIVE_AUTH_MODE": "dev",
        "LIVE_AUTH_SECRET": auth_secret,
        "LIVE_STREAM_API_SECRET": secrets.token_hex(20),
        "LIVE_WEBHOOKS_SECRET_KEY": secrets.token_hex(20),
        "LIVE_LOG_LEVEL": "WARNING",
        # wrk sends every request with one token: the per-client limits would answer 429.
        "LIVE_RATE_LIMIT_READS": "0",
        "LIVE_RATE_LIMIT_WRITES": "0",
        "LIVE_RATE_LIMIT_ADMIN": "0",
    }
    if a.pool_size is not None:
        env["LIVE_DATABASE_POOL_SIZE"] = str(a.pool_size)
    return env


def main(argv: Sequence[str] | None = None) -> int:
    a = parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    auth_secret = secrets.token_hex(20)
    env = server_env(a, auth_secret)
    asyncio.run(prepare(a.database_url, a.sessions, a.reload, a.max_age_hours, env))
    codec = CursorCodec(auth_secret)
    token = mint_dev_token(auth_secret, VIEWER, ["read:live"], BRAND, ttl=24 * 3600)
    headers = {"Authorization": f"Bearer {token}"}
    with serving(env) as base, httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        targets = [Target("hello world (GET /healthz)", "/healthz")]
        targets += list_targets(a.database_url, client, codec)
        check_responses(client, targets)
        measured = [(t.name, t.params) for t in targets if t.params is not None]
        checks = print_plans(a.database_url, plan_shapes(measured), codec, a.show_plans)
        print(
            f"\nwrk: {a.connections} connections, {a.rounds} x {a.duration:g} s rounds"
            f" (+{a.warmup:g} s warm-up); {os.cpu_count()} cores for wrk, server and PostgreSQL"
        )
        results = measure_all(base, targets, headers, a)
    print_table(targets, results)
    return verdict([*checks, *ratio_checks(targets, results)], results, a.sessions >= STRICT_FROM)


if __name__ == "__main__":
    sys.exit(main())
