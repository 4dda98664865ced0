"""Helpers for the outbound webhook tests: the dispatcher (fan-out included), a worker context with
a controllable clock, subscriptions made through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from loop_live.events import dispatch as dispatcher
from loop_live.outbound.delivery import deliver_due
from loop_live.platform.db import Database
from loop_live.platform.settings import Settings
from loop_live.worker import WorkerContext
from tests.support.auth import Tokens


async def dispatch(db: Database, now: datetime) -> int:
    """The real dispatcher without NATS: each batch fanned out and marked in one transaction."""
    return await dispatcher.drain(db, dispatcher.NoSink(), lambda: now, max_batches=100)


@dataclass
class Clock:
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@asynccontextmanager
async def worker(db: Database, settings: Settings, clock: Clock) -> AsyncIterator[WorkerContext]:
    async with httpx.AsyncClient() as http:
        yield WorkerContext(db, settings, http, clock)


async def run_once(ctx: WorkerContext) -> None:
    await dispatch(ctx.db, ctx.now())
    await deliver_due(ctx)


async def subscribe(
    client: httpx.AsyncClient, tokens: Tokens, url: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/admin/webhooks", json={"url": url, **fields}, headers=tokens.admin()
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def deliveries(
    client: httpx.AsyncClient, tokens: Tokens, webhook_id: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/v1/admin/webhooks/{webhook_id}/deliveries", headers=tokens.admin()
    )
    assert response.status_code == 200, response.text
    page: list[dict[str, Any]] = response.json()["deliveries"]
    return page
