"""Scheduled jobs that change sessions, applied through the webhook service's transitions, so
they are audited and evented exactly as a provider's `call.session_ended` would be.

- `close_stale`: sessions still `scheduled` or `live` `LIVE_STALE_SESSION_HOURS` after their
  end become `ended` (not `cancelled`: a cancellation tells members it was called off; `ended`
  with no `started_at` says it never ran). `ended_at` is the planned end (or the start, if
  later). Each session gets the inbox id `stale:<id>`, so two workers apply it once.
- `reconcile`: asks the provider about open sessions with a call (their webhooks may be lost)
  and applies `started`/`ended` under the ids `reconcile:<call id>:started|ended`. Provider calls
  happen before the write transaction opens, never inside it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from loop_live.events import jobs_repository as repo
from loop_live.platform.clock import utcnow
from loop_live.providers import build_provider
from loop_live.providers.base import CallState, VideoProvider
from loop_live.webhooks import service
from loop_live.webhooks.events import ProviderEvent
from loop_live.webhooks.vocabulary import ENDED, STARTED

if TYPE_CHECKING:
    from loop_live.worker import WorkerContext

log = logging.getLogger("loop_live.worker")
BATCH = 200


async def close_stale(ctx: WorkerContext) -> None:
    cutoff = ctx.now() - timedelta(hours=ctx.settings.stale_session_hours)
    async with ctx.db.write() as conn:
        closed = 0
        for row in await repo.stale_sessions(conn, cutoff, BATCH):
            at = max(row["ends_at"], row["started_at"] or row["ends_at"])
            cid = row["stream_call_id"]
            event = ProviderEvent(ENDED, cid, at, None)
            outcome = await service.apply(conn, "worker", f"stale:{row['id']}", event, row)
            closed += outcome == "applied"
    if closed:
        log.info("closed %d stale sessions", closed)


async def reconcile(ctx: WorkerContext) -> None:
    provider = build_provider(ctx.settings)
    try:
        states = await _ask(ctx, provider)
    finally:
        await provider.close()
    changes = [
        (cid, event) for cid, status, state in states if (event := _event(cid, status, state))
    ]
    if not changes:
        return
    async with ctx.db.write() as conn:
        for cid, event in changes:
            # The call id (not the cid) keeps the id inside the audit's 64-character request_id.
            step = "started" if event.type == STARTED else "ended"
            webhook_id = f"reconcile:{cid.partition(':')[2][:40]}:{step}"
            await service.handle(conn, provider.name, webhook_id, event)
    log.info("reconciled %d sessions with the provider", len(changes))


async def _ask(ctx: WorkerContext, provider: VideoProvider) -> list[tuple[str, str, CallState]]:
    cutoff = ctx.now() - timedelta(minutes=ctx.settings.reconcile_after_minutes)
    async with ctx.db.read() as conn:
        rows = await repo.open_calls(conn, cutoff, BATCH)
    answers = []
    for row in rows:
        cid = str(row["stream_call_id"])
        state = await provider.call_state(cid.partition(":")[2])
        if state is not None:
            answers.append((cid, str(row["status"]), state))
    return answers


def _event(cid: str, status: str, state: CallState) -> ProviderEvent | None:
    now = utcnow()
    if state.ended_at is not None:
        return ProviderEvent(ENDED, cid, _instant(state.ended_at, now), None)
    if state.is_live and status == "scheduled":
        return ProviderEvent(STARTED, cid, now, None)
    return None


def _instant(value: str, fallback: datetime) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return fallback
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
