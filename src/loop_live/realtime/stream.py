"""One subscriber's event stream: resumed notices, then live ones, with heartbeats between."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.response import ServerSentEventMessage

from loop_live.platform import ids
from loop_live.platform.db import Database
from loop_live.realtime.hub import Hub, Subscriber
from loop_live.realtime.notices import Notice
from loop_live.sessions import repository as sessions

RETRY_MS = 2000


@dataclass(frozen=True, slots=True)
class Watch:
    """What a subscriber asked for, and who it is (`viewer` decides `is_registered`)."""

    brand: str
    viewer: str
    session_id: str | None = None
    host_id: str | None = None
    community_id: str | None = None

    def matches(self, session: dict[str, Any]) -> bool:
        if self.host_id is not None and session["host_id"] != self.host_id:
            return False
        return self.community_id is None or session["community_slug"] == self.community_id


async def read_session(db: Database, watch: Watch, session_id: str) -> dict[str, Any] | None:
    parsed = ids.parse_id(session_id)
    if parsed is None:
        return None
    async with db.read() as conn:
        row = await sessions.get(conn, watch.brand, parsed, watch.viewer)
    return None if row is None else sessions.session_json(row)


def message(session: dict[str, Any], event_id: str | None) -> ServerSentEventMessage:
    data = msgspec.json.encode(session).decode()
    return ServerSentEventMessage(data=data, event="session", id=event_id, retry=RETRY_MS)


@dataclass
class Stream:
    db: Database
    hub: Hub
    watch: Watch
    heartbeat: float

    async def events(
        self, last_id: str | None, first: dict[str, Any] | None
    ) -> AsyncIterator[ServerSentEventMessage]:
        subscriber = Subscriber(self.watch.brand, self.watch.session_id)
        self.hub.subscribe(subscriber)
        try:
            async for item in self._backlog(subscriber, last_id, first):
                yield item
            async for item in self._live(subscriber):
                yield item
        finally:
            self.hub.unsubscribe(subscriber)

    async def _backlog(
        self, subscriber: Subscriber, last_id: str | None, first: dict[str, Any] | None
    ) -> AsyncIterator[ServerSentEventMessage]:
        missed = None if last_id is None else self.hub.since(last_id, subscriber)
        if missed is None and first is not None:
            yield message(first, None)  # fresh, or too far behind: the current state
        elif missed is None and last_id is not None:
            yield ServerSentEventMessage(data="{}", event="reset")  # re-list, then follow
        for notice in missed or []:
            item = await self._render(notice)
            if item is not None:
                yield item

    async def _live(self, subscriber: Subscriber) -> AsyncIterator[ServerSentEventMessage]:
        while not subscriber.lagging:
            try:
                notice = await asyncio.wait_for(subscriber.queue.get(), self.heartbeat)
            except TimeoutError:
                yield ServerSentEventMessage(data=None, comment="heartbeat")
                continue
            item = await self._render(notice)
            if item is not None:
                yield item

    async def _render(self, notice: Notice) -> ServerSentEventMessage | None:
        session = await read_session(self.db, self.watch, notice.session_id)
        if session is None or not self.watch.matches(session):
            return None
        return message(session, notice.id)
