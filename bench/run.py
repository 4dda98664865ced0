"""`make bench`: the session lists and the writes over N demo sessions, next to a hello world.

Loads `loop-live demo-data --sessions N` into a database of its own (PostgreSQL, or SQLite with
`--database-url sqlite+aiosqlite:////path/bench.db`; reused while it still holds the same
data), serves it with `loop-live serve` (one process), and serves beside it the anchor: a bare
Starlette hello world on uvicorn with uvloop and httptools (bench/hello.py). wrk
(bench/load.py) measures every endpoint in interleaved rounds (the anchor, GET /healthz, the
lists, the writes); the table gives req/s, p50, p99 and each endpoint's ratio to the anchor and
to /healthz. Then: the query plans (bench/plans.py), capacity held under the registration
load, and the server's memory. `--profile TARGET` shows where the server's time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import sys
from collections.abc import Sequence
from functools import partial

import httpx

import serve
from data import is_sqlite, prepare
from loop_live.platform.auth.verifiers import mint_dev_token
from loop_live.platform.cursor import CursorCodec
from plans import BRAND, VIEWER, Check, plan_shapes, print_plans
from profiling import profile
from report import HEALTHZ, HELLO, list_checks, measure_all, print_table, run_once, verdict
from targets import ADMIN, Target, check_responses, list_targets
from writes import BRAND as WRITES_BRAND
from writes import capacity_checks, remove_token_files, write_targets

DEFAULT_URL = f"postgresql+asyncpg://postgres@{serve.HOST}:5432/loop_live_bench"
STRICT_FROM = 100_000  # below this many sessions the run is a smoke test: ratios only warn
# The list's floor as a share of the hello world: PostgreSQL, and SQLite (issue 11).
LIST_FLOOR, SQLITE_LIST_FLOOR = 0.12, 0.06
# The server's peak resident set after the whole run (see docs/decisions.md, issue 11).
MEMORY_BOUND_MB = 200


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the servers' context managers


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
    p.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="TARGET",
        help="after the rounds, profile the server with py-spy while wrk drives the target whose"
        " name contains TARGET (e.g. 'upcoming, first' or 'register'); may be repeated",
    )
    p.add_argument("--profile-seconds", type=float, default=10)
    p.add_argument("--profile-top", type=int, default=15, help="functions listed per profile")
    p.add_argument(
        "--profile-native", action="store_true", help="add C and Cython frames (py-spy --native)"
    )
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
        # wrk sends every read with one token: the per-client limits would answer 429.
        "LIVE_RATE_LIMIT_READS": "0",
        "LIVE_RATE_LIMIT_WRITES": "0",
        "LIVE_RATE_LIMIT_ADMIN": "0",
    }
    if a.pool_size is not None:
        env["LIVE_DATABASE_POOL_SIZE"] = str(a.pool_size)
    return env


def _plans(a: argparse.Namespace, targets: Sequence[Target], codec: CursorCodec) -> list[Check]:
    measured = [(t.name, t.params) for t in targets if t.params is not None]
    return print_plans(a.database_url, plan_shapes(measured), codec, a.show_plans)


def _profiles(
    a: argparse.Namespace, server: serve.Server, bases: dict[str, str], targets: Sequence[Target]
) -> None:
    for wanted in a.profile:
        target = next((t for t in targets if wanted in t.name and t.server == "loop-live"), None)
        if target is None:
            raise SystemExit(f"--profile {wanted!r}: no loop-live target has that in its name")
        seconds, no_warmup = a.profile_seconds, argparse.Namespace(**{**vars(a), "warmup": 0})
        drive = partial(run_once, bases, target, no_warmup, seconds)

        print(f"\nprofile of loop-live serve under {target.name} ({seconds:g} s, py-spy):")
        print("\n".join(profile(server.pid, seconds, a.profile_top, drive, a.profile_native)))


def _usage(servers: Sequence[serve.Server]) -> dict[str, dict[str, int]]:
    """Memory of each process of each server (a supervisor and the worker running the app)."""
    return {
        f"{server.name} (pid {pid}{', its worker' if pid != server.pid else ''})": serve.memory(pid)
        for server in servers
        for pid in serve.tree(server.pid)
    }


def _memory(usage: dict[str, dict[str, int]]) -> list[Check]:
    print()
    checks: list[Check] = []
    for name, mem in usage.items():
        rss, hwm = mem["VmRSS"] / 1024, mem["VmHWM"] / 1024
        print(f"memory of {name}: VmRSS {rss:.1f} MB, VmHWM (peak) {hwm:.1f} MB")
        if name.startswith("loop-live serve"):
            problem = None if hwm <= MEMORY_BOUND_MB else f"peak {hwm:.1f} MB"
            checks.append(Check(f"{name} peak RSS <= {MEMORY_BOUND_MB} MB", problem))
    return checks


def main(argv: Sequence[str] | None = None) -> int:
    a = parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    auth_secret = secrets.token_hex(20)
    env = server_env(a, auth_secret)
    asyncio.run(prepare(a.database_url, a.sessions, a.reload, a.max_age_hours, env))
    codec = CursorCodec(auth_secret)

    def mint(subject: str, scopes: list[str], brand: str = BRAND) -> str:
        return mint_dev_token(auth_secret, subject, scopes, brand, ttl=24 * 3600)

    member, admin = mint(VIEWER, ["read:live"]), mint(ADMIN, ["admin:live"])
    try:
        with (
            serve.hello(dict(os.environ)) as hello,
            serve.loop_live(env) as server,
            httpx.Client(base_url=server.base, timeout=30) as client,
        ):
            targets = [Target(HELLO, "/", server="hello"), Target(HEALTHZ, "/healthz")]
            targets += list_targets(a.database_url, client, codec, member, admin)
            writes, session_ids = write_targets(
                client, auth_secret, lambda sub, scopes: mint(sub, scopes, WRITES_BRAND)
            )
            targets += writes
            check_responses(client, targets)
            checks = _plans(a, targets, codec)
            print(
                f"\nwrk: {a.connections} connections, {a.rounds} x {a.duration:g} s rounds"
                f" (+{a.warmup:g} s warm-up); {os.cpu_count()} cores for wrk, the servers and"
                " the database"
            )
            bases = {"hello": hello.base, "loop-live": server.base}
            results = measure_all(bases, targets, a)
            _profiles(a, server, bases, targets)
            usage = _usage([hello, server])
    finally:
        remove_token_files()
    print_table(targets, results)
    memory = _memory(usage)
    floor = SQLITE_LIST_FLOOR if is_sqlite(a.database_url) else LIST_FLOOR
    checks += list_checks(targets, results, floor)
    always = [*asyncio.run(capacity_checks(a.database_url, session_ids)), *memory]
    return verdict(checks, always, results, a.sessions >= STRICT_FROM, STRICT_FROM)


if __name__ == "__main__":
    sys.exit(main())
