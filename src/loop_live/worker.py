"""`loop-live worker`: scheduled jobs on an interval until SIGTERM (SPEC §10, §12).

For now the only job is retention; outbox delivery joins it later. A job that fails (the
database is down) is logged and tried again on the next pass: the worker keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from loop_live.platform import retention
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Database, open_database
from loop_live.platform.settings import Settings

log = logging.getLogger("loop_live.worker")


@dataclass(frozen=True, slots=True)
class WorkerContext:
    """What every scheduled job gets: storage, settings, an HTTP client and the clock."""

    db: Database
    settings: Settings
    http: httpx.AsyncClient
    now: Callable[[], datetime] = utcnow


Job = Callable[[WorkerContext], Awaitable[None]]


async def prune(ctx: WorkerContext) -> None:
    pruned = await retention.prune(ctx.db, ctx.now(), ctx.settings)
    log.info("retention pruned %s", " ".join(f"{t}={n}" for t, n in pruned.items()))


async def series_horizon(ctx: WorkerContext) -> None:
    from loop_live.series.jobs import extend_horizon

    await extend_horizon(ctx)


async def reminders(ctx: WorkerContext) -> None:
    from loop_live.reminders.jobs import send_reminders

    await send_reminders(ctx)


JOBS: tuple[Job, ...] = (prune, series_horizon, reminders)


async def run(settings: Settings, *, once: bool, interval: float) -> None:
    """Run every job, then wait `interval` seconds or until SIGTERM/SIGINT; `once`: one pass."""
    stop = _stop_on_signals()
    db = await open_database(settings.database_url, 2)
    log.info("worker started (every %s s)", interval)
    try:
        async with httpx.AsyncClient(timeout=settings.stream_timeout_seconds) as http:
            await _loop(WorkerContext(db, settings, http), stop, once=once, interval=interval)
    finally:
        await db.close()
        log.info("worker stopped")


async def _loop(ctx: WorkerContext, stop: asyncio.Event, *, once: bool, interval: float) -> None:
    while not stop.is_set():
        await run_jobs(ctx, raise_errors=once)
        if once:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def run_jobs(ctx: WorkerContext, *, raise_errors: bool) -> None:
    for job in JOBS:
        try:
            await job(ctx)
        except Exception:
            if raise_errors:
                raise
            log.exception("job %s failed; retrying on the next pass", job.__name__)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
