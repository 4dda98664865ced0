"""Real-time figures (SPEC §14) on PostgreSQL, with two `loop-live serve` processes, A and B:

- fan-out latency p50/p99: a change written through A reaches an SSE subscriber on B while B
  also holds `--idle` idle subscribers (streams of another session);
- memory per idle subscriber: B's resident memory before and after opening them;
- the cost of NOTIFY on the write path: registrations per second through A, with this tree
  and with the tree at `--before` (a commit without NOTIFY), same database, same load.

    .venv/bin/python bench/realtime.py [--idle 1000] [--changes 200] [--before 70bdf87]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from loop_live.platform.auth.verifiers import mint_dev_token

ROOT = Path(__file__).resolve().parents[1]
SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
SECRET = "bench-auth-secret-0123456789abcdef-xyz"
BRAND = "brand-bench"
SCOPES = ["read:live", "write:live", "manage:live", "admin:live"]
ADMIN = {"Authorization": "Bearer " + mint_dev_token(SECRET, "admin", SCOPES, BRAND, 86400)}
LOG = sys.stderr
OFF = ("READS", "WRITES", "ADMIN", "AUTH_FAILURES")


def env(url: str, src: Path | None = None) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}
    out.update({f"LIVE_RATE_LIMIT_{name}": "0" for name in OFF})
    out.update(LIVE_DATABASE_URL=url, LIVE_AUTH_SECRET=SECRET, LIVE_STREAM_API_SECRET=SECRET)
    out.update(LIVE_WEBHOOKS_SECRET_KEY=SECRET)
    out.update(LIVE_SSE_HEARTBEAT_SECONDS="30", LIVE_LOG_LEVEL="WARNING")
    if src is not None:
        out["PYTHONPATH"] = str(src)
    return out


@contextlib.contextmanager
def serve(environment: dict[str, str], port: int) -> Iterator[tuple[str, int]]:
    command = [sys.executable, "-c", "from loop_live.cli import main; main()", "serve"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=environment,
        stdout=LOG,
        stderr=LOG,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def subscribers(base: str) -> str:
    metrics = httpx.get(f"{base}/metrics", timeout=5).text.splitlines()
    return next(line.split()[-1] for line in metrics if line.startswith("live_sse_subscribers"))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def session(http: httpx.AsyncClient, capacity: int = 10) -> str:
    body = {
        "host_id": "host-1",
        "brand_id": BRAND,
        "title": "Bench",
        "scheduled_at": "2030-01-15T10:00:00+00:00",
        "max_participants": capacity,
    }
    response = await http.post("/v1/sessions", json=body, headers=ADMIN)
    response.raise_for_status()
    sid: str = response.json()["id"]
    return sid


@contextlib.asynccontextmanager
async def idle(base: str, sid: str, count: int) -> AsyncIterator[None]:
    limits = httpx.Limits(max_connections=count + 10)
    kept: list[Any] = []
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            httpx.AsyncClient(base_url=base, limits=limits, timeout=60)
        )
        for _ in range(count):
            response = await stack.enter_async_context(
                client.stream("GET", f"/v1/live/sessions/{sid}/events", headers=ADMIN)
            )
            lines = response.aiter_lines()
            kept.append(lines)  # a collected line iterator would close its stream
            while await anext(lines) != "":  # the first event: the stream is registered
                pass
        yield


async def fan_out(a: str, b: str, changes: int) -> list[float]:
    async with (
        httpx.AsyncClient(base_url=a, timeout=30) as writer,
        httpx.AsyncClient(base_url=b, timeout=30) as reader,
    ):
        sid = await session(writer)
        path = f"/v1/live/sessions/{sid}/events"
        async with reader.stream("GET", path, headers=ADMIN) as response:
            lines = response.aiter_lines()
            while await anext(lines) != "":
                pass
            return [await one_change(writer, lines, sid, n) for n in range(changes)]


async def one_change(writer: httpx.AsyncClient, lines: Any, sid: str, n: int) -> float:
    """From sending the change (an upper bound of commit-to-subscriber: the NOTIFY goes out at
    commit, usually before the writer has its response) to the event on the other process."""
    title = f"change {n}"
    sent = time.perf_counter()
    response = await writer.patch(f"/v1/sessions/{sid}", json={"title": title}, headers=ADMIN)
    response.raise_for_status()
    async for line in lines:
        if line.startswith("data:") and f'"title":"{title}"' in line:
            return (time.perf_counter() - sent) * 1000
    raise RuntimeError("stream ended")


async def register_rate(base: str, seconds: float, workers: int) -> float:
    async with httpx.AsyncClient(
        base_url=base, timeout=30, limits=httpx.Limits(max_connections=workers)
    ) as http:
        sids = [await session(http, 100_000) for _ in range(workers)]  # no shared row lock
        done = 0
        stop = time.perf_counter() + seconds

        async def worker(w: int) -> None:
            nonlocal done
            n = 0
            while time.perf_counter() < stop:
                body = {"patient_id": f"p-{w}-{n}"}
                path = f"/v1/sessions/{sids[w]}/register"
                r = await http.post(path, json=body, headers=ADMIN)
                r.raise_for_status()
                done, n = done + 1, n + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(workers)))
        return done / (time.perf_counter() - started)


def old_tree(commit: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src"], check=True, capture_output=True
    ).stdout
    path = into / "before.tar"
    path.write_bytes(archive)
    with tarfile.open(path) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


async def main(args: argparse.Namespace) -> None:
    name = f"loop_live_bench_rt_{secrets.token_hex(4)}"
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{SERVER}/{name}"
    try:
        migrate = [sys.executable, "-c", "from loop_live.cli import main; main()", "migrate"]
        subprocess.run(migrate, env=env(url), check=True, capture_output=True)  # noqa: ASYNC221
        await measure(url, args)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def measure(url: str, args: argparse.Namespace) -> None:
    with serve(env(url), 18431) as (a, _), serve(env(url), 18432) as (b, b_pid):
        async with httpx.AsyncClient(base_url=a, timeout=30) as http:
            quiet = await session(http)
        async with idle(b, quiet, 100):  # warm-up: the first streams also grow the heap
            before = rss_kib(b_pid)
            async with idle(b, quiet, args.idle):
                after = rss_kib(b_pid)
                print(f"subscribers open on B: {subscribers(b)}")
                latencies = await fan_out(a, b, args.changes)
    q = statistics.quantiles(latencies, n=100)
    print(
        f"fan-out A->B with {args.idle + 100} idle subscribers on B, {args.changes} changes"
        " (from sending the change through A to the event on B):"
        f" p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, max {max(latencies):.1f} ms"
    )
    print(
        f"memory per idle subscriber on B: {(after - before) / args.idle:.1f} KiB"
        f" (RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        old = old_tree(args.before, Path(tmp))
        pairs = [(await rate(url, old, args), await rate(url, None, args)) for _ in range(3)]
    then, now = (statistics.median(side) for side in zip(*pairs, strict=True))
    print(
        f"registrations/s through one process ({args.workers} clients, {args.seconds:.0f} s,"
        f" median of 3 alternating runs): without NOTIFY ({args.before}) {then:.0f},"
        f" with NOTIFY {now:.0f} ({(now - then) / then * 100:+.1f}%)"
    )


async def rate(url: str, src: Path | None, args: argparse.Namespace) -> float:
    with serve(env(url, src), 18433) as (base, _):
        await register_rate(base, 1, args.workers)  # warm-up
        return await register_rate(base, args.seconds, args.workers)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--before", default="70bdf87")
    asyncio.run(main(parser.parse_args()))
