"""Measure an HTTP endpoint with wrk; parse a machine-readable line printed by a Lua done()."""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import Any

MARKER = "LOADPY_RESULT"
_LINE = re.compile(MARKER + r" (.+)$", re.MULTILINE)
_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")


@dataclasses.dataclass(frozen=True)
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    unexpected: int = 0  # responses whose status was not the one Requests.expect names

    def line(self) -> str:
        return (
            f"rps={self.requests_per_s:.1f} p50_ms={self.p50_ms:.3f} "
            f"p99_ms={self.p99_ms:.3f} non_2xx={self.non_2xx}"
        )


def ensure_wrk() -> str:
    """Return the wrk path, installing the Debian package if missing and running as root."""
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() != 0:
        raise RuntimeError("wrk not found on PATH; install it with `apt-get install -y wrk`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "wrk"]
    if subprocess.run(install, check=False, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    path = shutil.which("wrk")
    if not path:
        raise RuntimeError("apt-get reported success but wrk is still not on PATH")
    return path


def lua_str(s: str) -> str:
    """Lua string literal with each non-ASCII-alnum byte as \\ddd (LuaJIT-safe)."""
    esc = (chr(b) if chr(b).isascii() and chr(b).isalnum() else f"\\{b:03d}" for b in s.encode())
    return '"' + "".join(esc) + '"'


@dataclasses.dataclass(frozen=True)
class Requests:
    """What each wrk run sends instead of `GET url`: Lua defining `request()`, written anew for
    every run of so many seconds (a run may spend what it holds, such as one-use tokens). The
    Lua sees `THREADS` and its thread's `thread_index` (0-based) as globals, to share the work
    out without overlap. Every response must answer `expect`; the others are counted as
    `Result.unexpected`."""

    lua: Callable[[float], str]
    expect: int


def _script(
    headers: dict[str, str], threads: int, seconds: float, requests: Requests | None
) -> str:
    sets = "".join(f"wrk.headers[{lua_str(k)}] = {lua_str(v)}\n" for k, v in headers.items())
    if requests is None:
        custom, unexpected = "", "0"
    else:
        # response() makes wrk hand every response to Lua: defined only where it is needed.
        custom = (
            f"THREADS = {threads}\n"
            "local threads = {}\n"
            "function setup(thread)\n"
            "  thread:set('thread_index', #threads)\n"
            "  thread:set('unexpected', 0)\n"
            "  table.insert(threads, thread)\n"
            "end\n"
            "function response(status, headers, body)\n"
            f"  if status ~= {int(requests.expect)} then unexpected = unexpected + 1 end\n"
            "end\n"
            "local function unexpected_total()\n"
            "  local n = 0\n"
            "  for _, t in ipairs(threads) do n = n + t:get('unexpected') end\n"
            "  return n\n"
            "end\n"
        ) + requests.lua(seconds)
        unexpected = "unexpected_total()"
    return (
        sets
        + custom
        + (
            "function done(summary, latency, requests)\n"
            "  local e = summary.errors\n"
            f'  io.write(string.format("\\n{MARKER} %d %d %d %d %.1f %.1f %d\\n",\n'
            "    summary.requests, summary.duration, e.status,\n"
            "    e.connect + e.read + e.write + e.timeout,\n"
            f"    latency:percentile(50), latency:percentile(99), {unexpected}))\n"
            "end\n"
        )
    )


def _run(wrk: str, script: str, url: str, c: int, t: int, duration_s: float) -> Result:
    secs = max(1, math.ceil(duration_s))  # wrk's -d only takes whole units
    cmd = [wrk, "-c", str(c), "-t", str(min(t, c)), "-d", f"{secs}s", "-s", script, url]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=secs + 60)
    m = _LINE.search(proc.stdout)
    if proc.returncode != 0 or m is None:
        raise RuntimeError(f"wrk failed (rc={proc.returncode}): {proc.stderr or proc.stdout}")
    reqs, dur_us, status, sock, p50_us, p99_us, odd = (float(x) for x in m.group(1).split())
    human = _NON2XX.search(proc.stdout)  # wrk's own counter (same source); keep the larger
    non_2xx = max(int(status), int(human.group(1)) if human else 0)
    return Result(
        requests_per_s=reqs / (dur_us / 1e6) if dur_us else 0.0,
        p50_ms=p50_us / 1000,
        p99_ms=p99_us / 1000,
        requests=int(reqs),
        non_2xx=non_2xx,
        socket_errors=int(sock),
        unexpected=int(odd),
    )


def measure(
    url: str,
    headers: dict[str, str],
    connections: int = 32,
    threads: int = 2,
    duration_s: float = 10,
    warmup_s: float = 2,
    requests: Requests | None = None,
) -> Result:
    """One warm-up run (discarded) then one measured wrk run against `url`."""
    wrk = ensure_wrk()
    threads = min(threads, connections)
    runs = [warmup_s, duration_s] if warmup_s > 0 else [duration_s]
    for seconds in runs:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="loadpy-") as f:
            f.write(_script(headers, threads, seconds, requests))
            f.flush()
            result = _run(wrk, f.name, url, connections, threads, seconds)
    return result


def rounds(url: str, headers: dict[str, str], n: int = 3, **kw: Any) -> Result:
    """Run `n` rounds of measure(**kw) (each with its warm-up); return the median round by rps."""
    results = sorted(
        (measure(url, headers, **kw) for _ in range(max(1, n))), key=lambda r: r.requests_per_s
    )
    return results[len(results) // 2]


def _header(s: str) -> tuple[str, str]:
    name, sep, value = s.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"bad header {s!r}, expected 'Name: value'")
    return name.strip(), value.strip()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Measure an HTTP endpoint with wrk.")
    p.add_argument("url")
    p.add_argument("-H", "--header", type=_header, action="append", default=[])
    p.add_argument("-c", "--connections", type=int, default=32)
    p.add_argument("-t", "--threads", type=int, default=2)
    p.add_argument("-d", "--duration", type=float, default=10)
    p.add_argument("-w", "--warmup", type=float, default=2)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args(argv)
    res = rounds(
        a.url,
        dict(a.header),
        n=a.rounds,
        connections=a.connections,
        threads=a.threads,
        duration_s=a.duration,
        warmup_s=a.warmup,
    )
    print(res.line())
    if res.non_2xx or res.socket_errors:
        print(
            f"WARNING: {res.non_2xx} non-2xx responses and {res.socket_errors} socket errors "
            f"out of {res.requests} requests; numbers are NOT a clean measurement",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
