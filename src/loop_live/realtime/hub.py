"""This process's subscribers, and a ring of recent notices for `Last-Event-ID` resumes."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from prometheus_client import Gauge

from loop_live.realtime.notices import Notice

SUBSCRIBERS = Gauge(
    "live_sse_subscribers",
    "Server-sent event streams open in this process",
    multiprocess_mode="livesum",
)
QUEUE_SIZE = 256  # a subscriber this far behind is dropped; it resumes with Last-Event-ID


@dataclass(eq=False)
class Subscriber:
    brand: str
    session_id: str | None
    queue: asyncio.Queue[Notice] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    lagging: bool = False

    def wants(self, notice: Notice) -> bool:
        if notice.brand != self.brand:
            return False
        return self.session_id is None or notice.session_id == self.session_id

    def offer(self, notice: Notice) -> None:
        try:
            self.queue.put_nowait(notice)
        except asyncio.QueueFull:
            self.lagging = True


class Hub:
    def __init__(self, window: int) -> None:
        self._subscribers: set[Subscriber] = set()
        self._recent: deque[Notice] = deque(maxlen=window)

    def __len__(self) -> int:
        return len(self._subscribers)

    def publish(self, notice: Notice) -> None:
        self._recent.append(notice)
        for subscriber in self._subscribers:
            if subscriber.wants(notice):
                subscriber.offer(notice)

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)
        SUBSCRIBERS.inc()

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)
            SUBSCRIBERS.dec()

    def since(self, last_id: str, subscriber: Subscriber) -> list[Notice] | None:
        """The subscriber's notices after `last_id`; None when `last_id` left the window."""
        recent = list(self._recent)
        for index, notice in enumerate(recent):
            if notice.id == last_id:
                return [n for n in recent[index + 1 :] if subscriber.wants(n)]
        return None
