"""`loop-live worker`: scheduled jobs on an interval until SIGTERM (SPEC §10, §12).

Jobs (retention, closing stale sessions, the provider reconciler) run every interval; the
outbox dispatcher runs beside them on its own short poll (`events.dispatch.pump`). A job that
fails (the database is down) is logged and tried again on the next pass: the worker keeps
running. `serve` runs the same thing in-process (`events.inprocess`).
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

from loop_live.events import dispatch, jobs
from loop_live.events import repository as outbox_repo
from loop_live.events.nats import JetStreamSink
from loop_live.outbound.delivery import deliver_due
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


JOBS: tuple[Job, ...] = (prune, jobs.close_stale, jobs.reconcile, series_horizon, reminders)
# Outbound webhook deliveries are due within seconds, not on the scheduled jobs' interval.
DELIVERY_POLL_SECONDS = 1.0
MAX_DRAIN_BATCHES = 1000


async def run(settings: Settings, *, once: bool, interval: float) -> None:
    """Run every job, then wait `interval` seconds or until SIGTERM/SIGINT; `once`: one pass."""
    stop = _stop_on_signals()
    db = await open_database(settings.database_url, 2)
    log.info("worker started (every %s s)", interval)
    try:
        await work(db, settings, stop, once=once, interval=interval)
    finally:
        await db.close()
        log.info("worker stopped")


async def work(
    db: Database, settings: Settings, stop: asyncio.Event, *, once: bool, interval: float
) -> None:
    """The jobs and the outbox dispatcher on `db` until `stop` (one pass and a drain: `once`)."""
    sink = build_sink(settings)
    try:
        async with httpx.AsyncClient(timeout=settings.stream_timeout_seconds) as http:
            ctx = WorkerContext(db, settings, http)
            if once:
                await run_jobs(ctx, JOBS, raise_errors=True)
                await _drain(ctx, sink)
                await deliver_due(ctx)
                return
            await asyncio.gather(
                _loop(ctx, JOBS, stop, interval),
                _loop(ctx, (deliver_due,), stop, DELIVERY_POLL_SECONDS),
                dispatch.pump(db, sink, ctx.now, stop, settings.outbox_poll_seconds),
            )
    finally:
        await sink.close()


def build_sink(settings: Settings) -> dispatch.Sink:
    return JetStreamSink(settings) if settings.nats_url else dispatch.NoSink()


async def _drain(ctx: WorkerContext, sink: dispatch.Sink) -> None:
    delivered = await dispatch.drain(ctx.db, sink, ctx.now, MAX_DRAIN_BATCHES)
    async with ctx.db.read() as conn:
        waiting, _ = await outbox_repo.backlog(conn)
    log.info("outbox delivered=%d waiting=%d", delivered, waiting)
    if waiting and ctx.settings.nats_url:
        raise RuntimeError(f"{waiting} outbox events could not be published to NATS")


async def _loop(
    ctx: WorkerContext, jobs: tuple[Job, ...], stop: asyncio.Event, interval: float
) -> None:
    while not stop.is_set():
        await run_jobs(ctx, jobs, raise_errors=False)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def run_jobs(ctx: WorkerContext, jobs: tuple[Job, ...], *, raise_errors: bool) -> None:
    for job in jobs:
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
