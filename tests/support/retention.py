"""Rows for the retention pruner to judge: idempotency keys, outbox events, inbox entries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from loop_live.platform.db import Database, Sql

_KEY = Sql(
    "INSERT INTO idempotency_keys (principal, key, brand_id, request_hash, status_code,"
    " response_body, created_at, expires_at) VALUES ('p', :key, 'b', 'h', 200, :body, :at, :exp)"
)
_EVENT = Sql(
    "INSERT INTO outbox_events (id, brand_id, event_type, aggregate_id, payload, created_at,"
    " published_at) VALUES (:id, 'b', 'live.session.created.v1', 'a', '{}', :at, :published)"
)
_INBOX = Sql(
    "INSERT INTO webhook_inbox (webhook_id, brand_id, event_type, received_at)"
    " VALUES (:id, 'b', 'call.session_started', :at)"
)


async def add_keys(db: Database, expiries: Iterable[datetime]) -> None:
    async with db.write() as conn:
        for expires in expiries:
            params = {"key": uuid.uuid4().hex, "body": b"{}", "at": expires - timedelta(hours=24)}
            await conn.execute(_KEY, {**params, "exp": expires})


async def add_events(db: Database, published: Iterable[datetime | None], at: datetime) -> None:
    async with db.write() as conn:
        for when in published:
            await conn.execute(_EVENT, {"id": uuid.uuid4(), "at": at, "published": when})


async def add_inbox(db: Database, received: Iterable[datetime]) -> None:
    async with db.write() as conn:
        for when in received:
            await conn.execute(_INBOX, {"id": uuid.uuid4().hex, "at": when})
