"""The limiter against a Redis server this test starts itself: while it is down each process
counts alone; once it is up the processes share one budget again, with no restart."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loop_live.platform.ratelimit import Limiter
from tests.support.databases import unreachable
from tests.support.servers import free_port


@contextmanager
def redis_server(port: int, workdir: Path) -> Iterator[None]:
    server = shutil.which("redis-server")
    if server is None:
        unreachable("redis-server is not installed (apt-get install redis-server) to run this")
        raise AssertionError
    args = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir]
    process = subprocess.Popen(
        [str(a) for a in args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_listening(port)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"redis-server did not listen on {port}")


async def spend(limiter: Limiter, n: int) -> list[bool]:
    return [(await limiter.hit("reads", "member-1")).allowed for _ in range(n)]


async def test_a_redis_outage_falls_back_per_process_and_recovers(tmp_path: Path) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    first, second = (Limiter({"reads": 2}, url, "t", retry_redis_after=0.2) for _ in range(2))
    assert await spend(first, 3) == [True, True, False]
    assert await spend(second, 1) == [True]  # its own memory: a budget of its own
    with redis_server(port, tmp_path):
        await asyncio.sleep(0.3)  # past the retry period: both go back to Redis
        shared = [*await spend(first, 1), *await spend(second, 1), *await spend(first, 1)]
        assert shared == [True, True, False]
        assert await spend(second, 1) == [False]
