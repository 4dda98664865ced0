"""The worker inside `serve` (on by default on the embedded SQLite database, `--no-worker`
turns it off): the same jobs and dispatcher as `loop-live worker`, on the app's own pool, stopped
with the app (a pass in progress finishes first)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from litestar import Litestar

log = logging.getLogger("loop_live.worker")


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    runtime = app.state.runtime
    if not runtime.settings.worker_in_serve:
        yield
        return
    from loop_live import worker  # imports the app's packages: only when it runs

    stop = asyncio.Event()
    settings = runtime.settings
    task = asyncio.create_task(
        worker.work(
            runtime.db, settings, stop, once=False, interval=settings.worker_interval_seconds
        )
    )
    log.info("in-process worker started")
    try:
        yield
    finally:
        stop.set()
        await task
        log.info("in-process worker stopped")
