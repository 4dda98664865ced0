"""Feeds the hub: one dedicated LISTEN connection per process on PostgreSQL (never a pool
connection, which would miss notices while lent out), the writer's commits on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

from loop_live.platform.db import Database
from loop_live.platform.db.postgres import asyncpg_dsn
from loop_live.platform.db.sqlite import SqliteDatabase
from loop_live.realtime.hub import Hub
from loop_live.realtime.notices import CHANNEL, decode

log = logging.getLogger("loop_live.realtime")
RETRY_SECONDS = 1.0


class Listener:
    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._task: asyncio.Task[None] | None = None

    def receive(self, channel: str, payload: str) -> None:
        notice = decode(payload) if channel == CHANNEL else None
        if notice is not None:
            self._hub.publish(notice)

    async def start(self, url: str, db: Database) -> None:
        if isinstance(db, SqliteDatabase):
            db.listeners.append(self.receive)
            return
        connected = asyncio.Event()
        self._task = asyncio.create_task(self._listen(asyncpg_dsn(url), connected))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(connected.wait(), 5)

    async def _listen(self, dsn: str, connected: asyncio.Event) -> None:
        while True:
            try:
                await self._session(dsn, connected)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("LISTEN connection lost (%s); reconnecting", type(exc).__name__)
            await asyncio.sleep(RETRY_SECONDS)

    async def _session(self, dsn: str, connected: asyncio.Event) -> None:
        conn = await asyncpg.connect(
            dsn, timeout=5, server_settings={"application_name": "loop-live-listen"}
        )
        closed = asyncio.Event()
        conn.add_termination_listener(lambda _conn: closed.set())
        try:
            await conn.add_listener(CHANNEL, self._on_notify)
            connected.set()
            await closed.wait()
        finally:
            await conn.close(timeout=1)

    def _on_notify(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        self.receive(channel, payload)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
