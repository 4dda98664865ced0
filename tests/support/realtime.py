"""Real time (SPEC §14): SSE streams read from real `loop-live serve` processes.

Helpers: the servers (two on PostgreSQL, so a change crosses processes; one on SQLite, where
announcements are in-process), and a small reader of the text/event-stream format.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.servers import server_env, serving


@dataclass
class Event:
    event: str | None = None
    id: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.data)


class Reader:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, *, comments: bool = False) -> Event:
        """The next event (or, with `comments`, the next block holding only a comment)."""
        while True:
            event = await self._block()
            if event.event is not None or event.data or (comments and event.comments):
                return event

    async def _block(self) -> Event:
        event = Event()
        async for line in self._lines:
            if line == "":
                return event
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                event.comments.append(value)
            elif name == "data":
                event.data += value
            elif name in ("event", "id"):
                setattr(event, name, value)
        raise EOFError("the stream ended")


@asynccontextmanager
async def subscribe(
    base: str, path: str, headers: dict[str, str], **params: str
) -> AsyncIterator[Reader]:
    async with (
        httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10, read=10)) as client,
        client.stream("GET", path, headers=headers, params=params) as response,
    ):
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Reader(response)


@contextmanager
def servers(database_url: str, logs: Path, count: int) -> Iterator[list[str]]:
    env = server_env(database_url, LIVE_SSE_HEARTBEAT_SECONDS="0.5", LIVE_SSE_RESUME_WINDOW="50")
    with ExitStack() as stack:
        yield [stack.enter_context(serving(env, logs / f"serve-{i}.log")) for i in range(count)]


def subscribers(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith("live_sse_subscribers"):
            return float(line.split()[-1])
    raise AssertionError("live_sse_subscribers is not exported")


def wait_for(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
