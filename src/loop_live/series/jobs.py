"""The worker's series job: keep every active series materialised up to the horizon."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from loop_live.platform.auth import Principal
from loop_live.platform.journal import Actor
from loop_live.series import occurrences, service
from loop_live.series import repository as repo

if TYPE_CHECKING:
    from loop_live.worker import WorkerContext

log = logging.getLogger("loop_live.series")
BATCH = 100


async def extend_horizon(ctx: WorkerContext) -> None:
    now = ctx.now()
    horizon = service.horizon_end(now, ctx.settings.series_horizon_days)
    async with ctx.db.read() as conn:
        due = await repo.due(conn, horizon, BATCH)
    made = 0
    for series_id in due:
        made += await _extend_one(ctx, series_id, horizon)
    if due:
        log.info("series horizon: %d series, %d occurrences made", len(due), made)


async def _extend_one(ctx: WorkerContext, series_id: uuid.UUID, horizon: object) -> int:
    async with ctx.db.write() as conn:
        row = await repo.by_id_for_update(conn, series_id)
        if row is None or row["status"] != "active" or row["materialised_until"] >= horizon:
            return 0  # another worker got there first
        principal = Principal(subject="worker", scopes=frozenset(), brand=row["brand_id"])
        actor = Actor(principal, row["brand_id"], f"worker-{uuid.uuid4().hex[:12]}", ctx.now())
        return await occurrences.extend(conn, actor, row, horizon)  # type: ignore[arg-type]
