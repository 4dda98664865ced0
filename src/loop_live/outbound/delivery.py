"""The worker job that sends due webhook deliveries (SPEC §12).

Bounded concurrency overall (LIVE_WEBHOOKS_CONCURRENCY) and per endpoint
(LIVE_WEBHOOKS_ENDPOINT_CONCURRENCY); every attempt has a total deadline
(LIVE_WEBHOOKS_TIMEOUT_SECONDS). Each endpoint takes at most a few deliveries per batch, and the
first retryable failure pauses that endpoint (its other deliveries wait with it), so a slow or
dead endpoint costs one round of timeouts per pass and never holds up the others. A pass
repeats batches until nothing is due or PASS_SECONDS have gone by.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx

from loop_live.outbound import addresses, signing
from loop_live.outbound import delivery_repository as repo
from loop_live.outbound.event_types import WEBHOOK_DISABLED
from loop_live.outbound.policy import Result, next_attempt, retry_after
from loop_live.outbound.secrets import SecretBox
from loop_live.platform import journal
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Connection, Row
from loop_live.platform.metrics import EVENT_DELIVERIES

if TYPE_CHECKING:
    from loop_live.worker import WorkerContext

log = logging.getLogger("loop_live.outbound")
BATCH = 500
PASS_SECONDS = 30.0  # then the worker's other jobs get their turn
LEASE_MARGIN = timedelta(seconds=60)


@dataclass(slots=True)
class Endpoint:
    row: Row
    secrets: list[str]
    gate: asyncio.Semaphore
    paused_until: datetime | None = None  # set by the first retryable failure of this pass


async def deliver_due(ctx: WorkerContext) -> None:
    """Send due deliveries batch after batch until none is left or PASS_SECONDS have gone by;
    outcomes are recorded one transaction per attempt."""
    deadline = time.monotonic() + PASS_SECONDS
    while await _batch(ctx) and time.monotonic() < deadline:
        pass


async def _batch(ctx: WorkerContext) -> int:
    now = ctx.now()
    settings = ctx.settings
    lease = now + timedelta(seconds=settings.webhooks_timeout_seconds) + LEASE_MARGIN
    per_endpoint = settings.webhooks_endpoint_concurrency * 4
    async with ctx.db.write() as conn:
        claimed = await repo.claim(conn, now, lease, per_endpoint, BATCH)
    overall = asyncio.Semaphore(settings.webhooks_concurrency)
    groups: dict[uuid.UUID, list[Row]] = defaultdict(list)
    for row in claimed:
        groups[row["subscription_id"]].append(row)
    await asyncio.gather(*(_endpoint(ctx, sub, rows, overall) for sub, rows in groups.items()))
    return len(claimed)


async def _endpoint(
    ctx: WorkerContext, subscription_id: uuid.UUID, rows: list[Row], overall: asyncio.Semaphore
) -> None:
    endpoint = await _load(ctx, subscription_id)
    if endpoint is None:
        return
    await asyncio.gather(*(_one(ctx, endpoint, row, overall) for row in rows))


async def _load(ctx: WorkerContext, subscription_id: uuid.UUID) -> Endpoint | None:
    async with ctx.db.read() as conn:
        row = await repo.subscription(conn, subscription_id)
    if row is None:
        return None
    box = SecretBox(ctx.settings.webhooks_secret_key.get_secret_value())
    keys = [box.open(row["secret"], str(row["id"]))]
    expires = row["previous_expires_at"]
    if row["previous_secret"] is not None and expires is not None and expires > ctx.now():
        keys.append(box.open(row["previous_secret"], str(row["id"])))
    gate = asyncio.Semaphore(ctx.settings.webhooks_endpoint_concurrency)
    return Endpoint(row, keys, gate)


async def _one(
    ctx: WorkerContext, endpoint: Endpoint, row: Row, overall: asyncio.Semaphore
) -> None:
    async with endpoint.gate, overall:
        if endpoint.paused_until is not None:
            async with ctx.db.write() as conn:
                await repo.release(conn, row["id"], endpoint.paused_until)
            return
        result = await attempt(ctx, endpoint, row)
        async with ctx.db.write() as conn:
            await _record(conn, ctx, endpoint, row, result)


async def attempt(ctx: WorkerContext, endpoint: Endpoint, row: Row) -> Result:
    """POST the body to the endpoint's checked address; never follows a redirect."""
    settings = ctx.settings
    number = row["attempts"] + 1
    body = row["body"].encode()
    headers = signing.headers(
        endpoint.secrets, str(row["event_id"]), row["event_type"], body, number, utcnow()
    )
    try:
        async with asyncio.timeout(settings.webhooks_timeout_seconds):
            target = await addresses.target(
                endpoint.row["url"], allow_private=settings.webhooks_allow_private
            )
            return await _post(ctx.http, target, headers, body, ctx.now())
    except addresses.AddressRefused as refused:
        return Result(None, str(refused))
    except TimeoutError:
        return Result(None, "timed out")
    except (httpx.HTTPError, OSError) as failure:
        return Result(None, f"network error: {type(failure).__name__}")


async def _post(
    http: httpx.AsyncClient,
    target: addresses.Target,
    headers: dict[str, str],
    body: bytes,
    now: datetime,
) -> Result:
    request = http.build_request(
        "POST",
        target.url,
        content=body,
        headers={**headers, "host": target.host_header},
        extensions={"sni_hostname": target.server_name},
    )
    response = await http.send(request, follow_redirects=False, stream=True)
    await response.aclose()  # the status is all we need; never read a large body
    wait = retry_after(response.headers.get("retry-after"), now)
    error = None if response.is_success else f"HTTP {response.status_code}"
    return Result(response.status_code, error, wait)


async def _record(
    conn: Connection, ctx: WorkerContext, endpoint: Endpoint, row: Row, result: Result
) -> None:
    now = ctx.now()
    sub = endpoint.row["id"]
    if result.ok:
        await repo.delivered(conn, row["id"], result.status or 200, now)
        await repo.healthy(conn, sub)
        EVENT_DELIVERIES.labels("webhook", "delivered").inc()
        return
    window = timedelta(hours=ctx.settings.webhooks_retry_hours)
    status, next_at = _verdict(result, row, now, window)
    values = {"status": status, "code": result.status, "error": result.error, "next": next_at}
    await repo.failed(conn, row["id"], {**values, "now": now})
    endpoint.paused_until = next_at if status == "pending" else endpoint.paused_until
    since = await repo.failing(conn, sub, now, endpoint.paused_until)
    EVENT_DELIVERIES.labels("webhook", "retry" if status == "pending" else status).inc()
    if now - since >= timedelta(hours=ctx.settings.webhooks_disable_after_hours):
        await _disable(conn, endpoint.row, since, result, now)


def _verdict(
    result: Result, row: Row, now: datetime, window: timedelta
) -> tuple[str, datetime | None]:
    if not result.retryable:
        return "failed", None
    if now - row["created_at"] >= window:
        return "dead", None
    return "pending", next_attempt(result, row["attempts"] + 1, now, window)


async def _disable(
    conn: Connection, sub: Row, since: datetime, result: Result, now: datetime
) -> None:
    if not await repo.disable(conn, sub["id"], now):
        return
    log.warning("webhook subscription %s disabled: failing since %s", sub["id"], since)
    payload = {
        "webhook_id": str(sub["id"]),
        "failing_since": since,
        "last_status_code": result.status,
        "last_error": result.error,
    }
    await journal.emit(conn, sub["brand_id"], WEBHOOK_DISABLED, str(sub["id"]), payload, now)
