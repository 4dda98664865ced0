"""The servers `make bench` measures: `loop-live serve`, and the bare Starlette hello world
(bench/hello.py) it is compared with, each on its own free port, one process each."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

HOST = "127.0.0.1"
BIN = Path(sys.executable).parent
LOOP_LIVE = shutil.which("loop-live", path=str(BIN)) or "loop-live"
HELLO_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Server:
    name: str
    base: str  # http://host:port
    pid: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-4000:]


def _wait_ready(name: str, url: str, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{name} was not ready within 60 s:\n{_tail(log)}")


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
def _serving(
    name: str, cmd: list[str], port: int, ready: str, env: dict[str, str]
) -> Iterator[Server]:
    """`cmd` listening on `port`, stopped on the way out whatever happens."""
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(name, base + ready, proc, log)
            yield Server(name, base, proc.pid)
        finally:
            _stop(proc)


def loop_live(env: dict[str, str]) -> AbstractContextManager[Server]:
    """`loop-live serve`: one process (uvicorn runs the app in it), as deployed per core."""
    port = free_port()
    cmd = [LOOP_LIVE, "serve", "--host", HOST, "--port", str(port)]
    return _serving("loop-live serve", cmd, port, "/readyz", env)


def hello(env: dict[str, str]) -> AbstractContextManager[Server]:
    """The anchor: Starlette on uvicorn with uvloop and httptools, one process, no access log."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", "hello:app", "--app-dir", str(HELLO_DIR),
        "--host", HOST, "--port", str(port), "--workers", "1", "--loop", "uvloop",
        "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return _serving("the Starlette hello world", cmd, port, "/", env)


def tree(pid: int) -> list[int]:
    """`pid` and its descendants: `loop-live serve` (granian) runs the app in a child process."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(current := todo.pop())
        todo += children.get(current, [])
    return found


def memory(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (the peak resident set) of a process, in kB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields
