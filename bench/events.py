"""`make bench-events`: the outbox dispatcher (`loop-live worker`) publishing to NATS JetStream.

Prints: events/s delivered while draining a backlog of N events; the worker's RSS sampled while
it drains (first, peak, last: flat means no growth with the backlog); commit-to-receipt lag
p50/p99 under a steady write load (a NATS subscriber times each event against its
`occurred_at`). Uses a fresh PostgreSQL database and a stream of its own, both removed after.
`--smoke` is a cheap run of the same path.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import msgspec
import nats

from loop_live.platform import journal
from loop_live.platform.db import Database, Sql, open_database
from loop_live.platform.db.migrate import upgrade
from loop_live.platform.db.postgres import asyncpg_dsn

CLI = Path(sys.executable).with_name("loop-live")
SECRET = "bench-secret-0123456789abcdef-0123456789"


async def fill(db: Database, total: int, aggregates: int = 1000) -> None:
    at = datetime.now(UTC)
    for start in range(0, total, 2000):
        async with db.write() as conn:
            for n in range(start, min(total, start + 2000)):
                await journal.emit(conn, "bench", "live.session.updated.v1", f"s{n % aggregates}",
                                   {"n": n}, at)  # fmt: skip


async def undelivered(db: Database) -> int:
    async with db.read() as conn:
        total: int = await conn.fetchval(
            Sql("SELECT COUNT(*) FROM outbox_events WHERE published_at IS NULL")
        )
    return total


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_worker(url: str, nats_url: str, stream: str, prefix: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}
    env.update(
        LIVE_DATABASE_URL=url, LIVE_NATS_URL=nats_url, LIVE_NATS_STREAM=stream,
        LIVE_NATS_SUBJECT_PREFIX=prefix, LIVE_AUTH_SECRET=SECRET, LIVE_STREAM_API_SECRET=SECRET,
        LIVE_WEBHOOKS_SECRET_KEY=SECRET,
        LIVE_CURSOR_SECRET=SECRET, LIVE_OUTBOX_POLL_SECONDS="0.05", LIVE_LOG_LEVEL="WARNING",
    )  # fmt: skip
    return subprocess.Popen([str(CLI), "worker", "--interval", "3600"], env=env)


async def started_delivering(db: Database, total: int) -> None:
    """Wait out the worker's start (imports, connections): it is not part of the rate."""
    for _ in range(3000):
        if await undelivered(db) < total:
            return
        await asyncio.sleep(0.01)


async def drain(db: Database, worker: subprocess.Popen[bytes], total: int) -> None:
    rss: list[int] = []
    await started_delivering(db, total)
    started = time.perf_counter()
    while (left := await undelivered(db)) > 0:
        rss.append(rss_kib(worker.pid))
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - started
    print(f"drain {total} events: {total / elapsed:,.0f} events/s ({elapsed:.1f} s)")
    if rss:
        first, peak, last = (round(kib / 1024) for kib in (rss[0], max(rss), rss[-1]))
        print(f"worker RSS while draining: first {first} MiB, peak {peak} MiB, last {last} MiB")
    assert left == 0


async def steady(db: Database, nats_url: str, prefix: str, rate: int, seconds: float) -> None:
    lags: list[float] = []
    client = await nats.connect(nats_url)

    async def received(message: nats.aio.msg.Msg) -> None:
        sent = datetime.fromisoformat(msgspec.json.decode(message.data)["occurred_at"])
        lags.append((datetime.now(UTC) - sent).total_seconds())

    await client.subscribe(f"{prefix}live.>", cb=received)
    total = int(rate * seconds)
    started = time.perf_counter()
    for n in range(total):
        async with db.write() as conn:
            await journal.emit(conn, "bench", "live.session.updated.v1", f"a{n % 50}", {"n": n},
                               datetime.now(UTC))  # fmt: skip
        await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.perf_counter()))
    for _ in range(100):
        if len(lags) >= total:
            break
        await asyncio.sleep(0.1)
    await client.close()
    lags.sort()
    p50 = statistics.median(lags) * 1000
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1000
    print(f"steady {rate} events/s for {seconds:.0f} s: received {len(lags)}/{total},"
          f" commit-to-receipt lag p50 {p50:.1f} ms, p99 {p99:.1f} ms")  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    name = f"loop_live_bench_events_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(asyncpg_dsn(args.postgres))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
    stream, prefix = f"BENCH_{uuid.uuid4().hex[:8]}", f"b{uuid.uuid4().hex[:8]}."
    try:
        await upgrade(url)
        db = await open_database(url, 4)
        await fill(db, args.backlog)
        worker = start_worker(url, args.nats_url, stream, prefix)
        try:
            await drain(db, worker, args.backlog)
            await steady(db, args.nats_url, prefix, args.rate, args.seconds)
        finally:
            worker.terminate()
            worker.wait(30)
            await db.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        client = await nats.connect(args.nats_url)
        await client.jetstream().delete_stream(stream)
        await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--nats-url", default="nats://127.0.0.1:4222")
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=200, help="events/s of the steady load")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--smoke", action="store_true", help="2,000 events, 2 s of load")
    parsed = parser.parse_args()
    if parsed.smoke:
        parsed.backlog, parsed.seconds = 2000, 2
    asyncio.run(main(parsed))
