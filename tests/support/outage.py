"""Client load for the outage test: readers, idempotent writers that retry with the same key,
a /readyz poller, and a second-by-second timeline of what each of them saw."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRYABLE = 503


@dataclass
class Timeline:
    start: float = field(default_factory=time.monotonic)
    seen: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    marks: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    slowest: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    replayed: int = 0  # acknowledgements carrying Idempotent-Replayed: an earlier try committed

    def now(self) -> int:
        return int(time.monotonic() - self.start)

    def record(self, kind: str, outcome: str, seconds: float) -> None:
        self.seen[self.now()][f"{kind} {outcome}"] += 1
        self.outcomes[(kind, outcome)] += 1
        self.slowest[kind] = max(self.slowest[kind], seconds)

    def mark(self, text: str) -> None:
        self.marks[self.now()].append(text)

    def render(self) -> str:
        lines = ["  s | reads 200/503 | writes 2xx/503 | readyz 200/503 | event"]
        for second in range(max([*self.seen, *self.marks, 0]) + 1):
            c = self.seen[second]
            writes_ok = c["write 201"] + c["write 200"]
            lines.append(
                f"{second:3d} | {c['read 200']:5d} {c['read 503']:5d}   | "
                f"{writes_ok:5d} {c['write 503']:5d}    | {c['readyz 200']:5d} {c['readyz 503']:5d}"
                f"    | {', '.join(self.marks[second])}"
            )
        return "\n".join(lines)


async def _timed(timeline: Timeline, kind: str, call: Any) -> httpx.Response | None:
    began = time.monotonic()
    try:
        response: httpx.Response = await call
    except httpx.TransportError as exc:
        timeline.record(kind, type(exc).__name__, time.monotonic() - began)
        return None
    timeline.record(kind, str(response.status_code), time.monotonic() - began)
    return response


async def reader(http: httpx.AsyncClient, stop: asyncio.Event, timeline: Timeline) -> None:
    while not stop.is_set():
        await _timed(timeline, "read", http.get("/v1/live/sessions", params={"limit": 5}))
        await asyncio.sleep(0.02)


async def readiness(http: httpx.AsyncClient, stop: asyncio.Event, timeline: Timeline) -> None:
    while not stop.is_set():
        await _timed(timeline, "readyz", http.get("/readyz"))
        await asyncio.sleep(0.2)


async def write_until_acknowledged(
    http: httpx.AsyncClient, key: str, body: dict[str, Any], timeline: Timeline
) -> str | None:
    """POST with one Idempotency-Key until acknowledged; the id it got, or None if refused."""
    while True:
        post = http.post("/v1/sessions", json=body, headers={"Idempotency-Key": key})
        response = await _timed(timeline, "write", post)
        if response is not None and response.status_code in (200, 201):
            timeline.replayed += response.headers.get("Idempotent-Replayed") == "true"
            created: str = response.json()["id"]
            return created
        if response is not None and response.status_code != RETRYABLE:
            return None
        wait = response.json()["retry_after_ms"] / 1000 if response is not None else 0.2
        await asyncio.sleep(min(wait, 0.5))


async def writer(
    http: httpx.AsyncClient,
    name: str,
    body: dict[str, Any],
    stop: asyncio.Event,
    timeline: Timeline,
    acknowledged: dict[str, str | None],
) -> None:
    for n in range(1_000_000):
        if stop.is_set():
            return
        key = f"{name}-{n}"
        acknowledged[key] = await write_until_acknowledged(
            http, key, {**body, "title": key}, timeline
        )
