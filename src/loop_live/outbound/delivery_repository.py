"""The SQL of the delivery engine: claiming due deliveries, recording attempts, endpoint health.

Claiming moves `next_attempt_at` forward by a lease in one UPDATE; the outer WHERE is evaluated
again on each locked row (PostgreSQL re-checks it after waiting for a competing claim), so two
workers never send the same delivery at once, and a worker that dies leaves its rows to be
retried when the lease ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from loop_live.platform.db import Connection, Row, Sql

CLAIMED = ("id", "subscription_id", "event_id", "event_type", "body", "attempts", "created_at")
_CLAIM = Sql(
    "UPDATE webhook_deliveries SET next_attempt_at = :lease WHERE id IN ("
    " SELECT id FROM (SELECT d.id, ROW_NUMBER() OVER (PARTITION BY d.subscription_id"
    " ORDER BY d.next_attempt_at, d.id) AS n FROM webhook_deliveries d"
    " JOIN webhook_subscriptions s ON s.id = d.subscription_id"
    " WHERE d.status = 'pending' AND d.next_attempt_at <= :now AND s.enabled"
    " AND (s.paused_until IS NULL OR s.paused_until <= :now)) ranked"
    " WHERE n <= :per_endpoint LIMIT :limit)"
    " AND status = 'pending' AND next_attempt_at <= :now"
    f" RETURNING {', '.join(CLAIMED)}"
)
_SUBSCRIPTION = Sql(
    "SELECT id, brand_id, url, enabled, secret, previous_secret, previous_expires_at"
    " FROM webhook_subscriptions WHERE id = :id"
)
_DELIVERED = Sql(
    "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1,"
    " last_status_code = :code, last_error = NULL, next_attempt_at = NULL, delivered_at = :now,"
    " updated_at = :now WHERE id = :id"
)
_FAILED = Sql(
    "UPDATE webhook_deliveries SET status = :status, attempts = attempts + 1,"
    " last_status_code = :code, last_error = :error, next_attempt_at = :next, updated_at = :now"
    " WHERE id = :id"
)
_RELEASE = Sql("UPDATE webhook_deliveries SET next_attempt_at = :next WHERE id = :id")
_HEALTHY = Sql(
    "UPDATE webhook_subscriptions SET failing_since = NULL, paused_until = NULL WHERE id = :id"
)
_FAILING = Sql(
    "UPDATE webhook_subscriptions SET failing_since = COALESCE(failing_since, :now),"
    " paused_until = :paused WHERE id = :id RETURNING failing_since"
)
_DISABLE = Sql(
    "UPDATE webhook_subscriptions SET enabled = :off, paused_until = NULL, updated_at = :now"
    " WHERE id = :id AND enabled"
)
_RESUME = Sql("UPDATE webhook_subscriptions SET paused_until = NULL WHERE id = :id")


async def claim(
    conn: Connection, now: datetime, lease: datetime, per_endpoint: int, limit: int
) -> Sequence[Row]:
    params = {"now": now, "lease": lease, "per_endpoint": per_endpoint, "limit": limit}
    return await conn.fetch(_CLAIM, params)


async def subscription(conn: Connection, subscription_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow(_SUBSCRIPTION, {"id": subscription_id})


async def delivered(conn: Connection, delivery_id: Any, code: int, now: datetime) -> None:
    await conn.execute(_DELIVERED, {"id": delivery_id, "code": code, "now": now})


async def failed(conn: Connection, delivery_id: Any, values: Mapping[str, Any]) -> None:
    await conn.execute(_FAILED, {**values, "id": delivery_id})


async def release(conn: Connection, delivery_id: Any, next_at: datetime) -> None:
    await conn.execute(_RELEASE, {"id": delivery_id, "next": next_at})


async def healthy(conn: Connection, subscription_id: Any) -> None:
    await conn.execute(_HEALTHY, {"id": subscription_id})


async def failing(
    conn: Connection, subscription_id: Any, now: datetime, paused: datetime | None
) -> datetime:
    params = {"id": subscription_id, "now": now, "paused": paused}
    since: datetime = await conn.fetchval(_FAILING, params)
    return since


async def disable(conn: Connection, subscription_id: Any, now: datetime) -> bool:
    return await conn.execute(_DISABLE, {"id": subscription_id, "now": now, "off": False}) > 0


async def resume(conn: Connection, subscription_id: Any) -> None:
    await conn.execute(_RESUME, {"id": subscription_id})
