"""Per-request cost of the observability layer (request id, metrics, request line), measured
in-process so that a busy machine skews both sides alike, rounds alternating, medians kept:
`observe.RequestObserver` around an empty ASGI app (its own cost, stable), and the list route
through the whole app with and without it.

    PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) .venv/bin/python bench/observer_cost.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from loop_live.app import create_app
from loop_live.platform.auth.verifiers import mint_dev_token
from loop_live.platform.db.migrate import upgrade
from loop_live.platform.observe import RequestObserver
from loop_live.platform.settings import Settings

SECRET = "bench-auth-secret-0123456789abcdef-xyz"
REQUESTS, ROUNDS = 2_000, 9


async def empty(scope: Any, receive: Any, send: Any) -> None:
    scope["path_template"] = "/v1/live/sessions"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def calls(app: Any, scope: dict[str, Any], count: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message

    started = time.perf_counter()
    for _ in range(count):
        await app(dict(scope), receive, send)
    return (time.perf_counter() - started) / count * 1e6


def report(label: str, times: dict[str, list[float]]) -> None:
    without, with_ = (statistics.median(times[k]) for k in ("without", "with"))
    cost = with_ - without
    print(f"{label}: without observer {without:.1f} us/req, with {with_:.1f}, cost {cost:+.1f}")


async def alternate(bare: Any, observed: Any, scope: Any, count: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(ROUNDS):
        times["without"].append(await calls(bare, scope, count))
        times["with"].append(await calls(observed, scope, count))
    return times


async def main() -> None:
    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    await upgrade(url)
    settings = Settings(database_url=url, auth_secret=SECRET)
    observed, bare = create_app(settings), create_app(settings)
    bare.asgi_handler = bare.asgi_handler.app  # type: ignore[attr-defined]
    token = mint_dev_token(SECRET, "bench", ["read:live"], "brand-a", 3600)
    scope = {
        "type": "http", "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": "/v1/live/sessions", "raw_path": b"/v1/live/sessions", "root_path": "",
        "query_string": b"limit=20", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
    }  # fmt: skip
    wrapped = RequestObserver(empty, access_log=False)
    report(f"empty app, {ROUNDS} x 20000", await alternate(empty, wrapped, scope, 20_000))
    async with observed.lifespan(), bare.lifespan():
        times = await alternate(bare, observed, scope, REQUESTS)
    report(f"list route, {ROUNDS} x {REQUESTS}", times)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
