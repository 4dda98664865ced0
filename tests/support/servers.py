"""`loop-live serve` as a real process on a free port, for the few true end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.app import NO_RATE_LIMITS, STREAM_SECRET, WEBHOOKS_KEY
from tests.support.auth import AUTH_SECRET

CLI = Path(sys.executable).with_name("loop-live")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}
    env.update({f"LIVE_{name.upper()}": "0" for name in NO_RATE_LIMITS})
    env.update(
        LIVE_DATABASE_URL=database_url,
        LIVE_AUTH_SECRET=AUTH_SECRET,
        LIVE_STREAM_API_SECRET=STREAM_SECRET,
        LIVE_WEBHOOKS_SECRET_KEY=WEBHOOKS_KEY,
        **extra,
    )
    return env


def cli(*args: str, env: Mapping[str, str]) -> str:
    done = subprocess.run(
        [str(CLI), *args], env=dict(env), capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


@contextmanager
def serving(env: Mapping[str, str], log: Path, *args: str) -> Iterator[str]:
    """Start `loop-live serve [args]`, wait until /readyz answers, yield its base URL, stop it."""
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(CLI), "serve", "--port", str(port), *args], env=dict(env), stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"loop-live serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"loop-live serve did not become ready:\n{log.read_text()}")
