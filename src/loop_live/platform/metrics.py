"""Prometheus metrics, correct under `loop-live serve --workers N`.

`serve` always runs prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, wiped
before the workers start), so one worker and many take the same path; `/metrics` merges every
process's files. Without the variable (tests, a bare `uvicorn`) the default registry is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar, Request, Response, get
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from loop_live.platform.clock import utcnow
from loop_live.platform.db import Database, DatabaseUnavailable
from loop_live.platform.errors import Unauthenticated
from loop_live.platform.multiprocess import MULTIPROC_ENV

SAMPLE_SECONDS = 1.0

REQUESTS = Counter(
    "live_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "live_http_request_duration_seconds",
    "Time from request to the end of the response",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# Pools belong to one process: keep one series per live worker (a `pid` label); dead workers'
# series are dropped. sum() or max() over pid in PromQL gives the service-wide view.
DB_POOL = Gauge(
    "live_db_pool_connections",
    "Database connections of this process: in_use and max (pool size)",
    ["state"],
    multiprocess_mode="liveall",
)
BREAKER_OPEN = Gauge(
    "live_provider_circuit_open",
    "1 while this process's video-provider circuit breaker fails fast (open or half-open)",
    multiprocess_mode="liveall",
)
BREAKER_OPENED = Counter(
    "live_provider_circuit_opened_total", "Times the video-provider circuit breaker opened"
)
RATE_LIMITED = Counter(
    "live_rate_limited_total", "Requests refused with 429 rate_limited", ["class"]
)
EVENT_DELIVERIES = Counter(
    "live_event_deliveries_total",
    "Event deliveries by sink (nats, webhook) and outcome",
    ["sink", "outcome"],
)

# Outbox gauges describe the database, not a process: any process's latest sample will do.
OUTBOX_BACKLOG = Gauge(
    "live_outbox_backlog", "Outbox events not delivered yet", multiprocess_mode="mostrecent"
)
OUTBOX_OLDEST_AGE = Gauge(
    "live_outbox_oldest_undelivered_age_seconds",
    "Age of the oldest undelivered outbox event (0 when none waits)",
    multiprocess_mode="mostrecent",
)
NATS_PUBLISH_LATENCY = Histogram(
    "live_nats_publish_duration_seconds",
    "Time from a JetStream publish to its ack",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)


def multiprocess_mode() -> bool:
    return MULTIPROC_ENV in os.environ


def render() -> bytes:
    if not multiprocess_mode():
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def sample_pool(app: Litestar) -> None:
    in_use, size = app.state.runtime.db.usage()
    DB_POOL.labels("in_use").set(in_use)
    DB_POOL.labels("max").set(size)


async def sample_outbox(db: Database) -> None:
    from loop_live.events.repository import backlog  # the events package imports this module

    try:
        async with db.read() as conn:
            waiting, oldest = await backlog(conn)
    except DatabaseUnavailable:
        return  # the scrape still answers; the gauges keep their last value
    OUTBOX_BACKLOG.set(waiting)
    OUTBOX_OLDEST_AGE.set(0 if oldest is None else max(0.0, (utcnow() - oldest).total_seconds()))


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Sample the pool once a second: cheaper than touching a gauge on every acquire."""

    async def sampler() -> None:
        while True:
            sample_pool(app)
            await asyncio.sleep(SAMPLE_SECONDS)

    task = asyncio.create_task(sampler())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if multiprocess_mode():
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def _check_token(request: Request[Any, Any, Any]) -> None:
    expected = request.app.state.runtime.settings.metrics_token
    if expected is None:
        return
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise Unauthenticated("/metrics needs Authorization: Bearer <LIVE_METRICS_TOKEN>")


@get("/metrics", opt={"exclude_from_auth": True}, include_in_schema=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text format."""
    _check_token(request)
    sample_pool(request.app)
    await sample_outbox(request.app.state.runtime.db)
    return Response(render(), media_type=CONTENT_TYPE_LATEST)


handlers = [metrics]
