"""The readiness check's own PostgreSQL connection: `/readyz` must not queue behind requests
for a pool slot, so a pool busy with slow requests still reads as ready and a dead server
reads as unready within the bound."""

from __future__ import annotations

import asyncio

import asyncpg

from loop_live.platform.db.faults import postgres_faults

_SETTINGS = {"application_name": "loop-live-readiness"}


class PostgresProbe:
    def __init__(self, dsn: str, timeout: float) -> None:
        self._dsn = dsn
        self._timeout = timeout
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    async def check(self) -> None:
        """Return when the server answers `SELECT 1` within the bound, else raise
        `DatabaseUnavailable`; a failed connection is dropped and made afresh next time."""
        with postgres_faults():
            async with asyncio.timeout(self._timeout), self._lock:
                try:
                    await self._select_one()
                except BaseException:
                    self._drop()
                    raise

    async def _select_one(self) -> None:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(
                self._dsn, timeout=self._timeout, server_settings=_SETTINGS
            )
        await self._conn.fetchval("SELECT 1")

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None

    async def close(self) -> None:
        async with self._lock:
            self._drop()
