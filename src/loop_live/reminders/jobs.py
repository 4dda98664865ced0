"""The worker's reminder job: `live.session.reminder.v1` per (registration, offset), once.

Due times are read from the session's current `scheduled_at` on every pass, so a reschedule
moves a reminder that has not gone out, and a cancelled session or registration drops it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from loop_live.platform import journal
from loop_live.platform.db import Connection, Row
from loop_live.reminders import repository as repo

if TYPE_CHECKING:
    from loop_live.worker import WorkerContext

log = logging.getLogger("loop_live.reminders")
EVENT = "live.session.reminder.v1"
BATCH = 500


async def send_reminders(ctx: WorkerContext) -> None:
    now = ctx.now()
    sent = 0
    offsets = sorted(set(ctx.settings.reminder_offsets), reverse=True)
    for offset, nearer in zip(offsets, [*offsets[1:], 0], strict=True):
        async with ctx.db.write() as conn:
            sent += await _send(conn, now, offset, nearer)
    if sent:
        log.info("reminders sent: %d", sent)


async def _send(conn: Connection, now: datetime, offset: int, nearer: int) -> int:
    """An offset's reminder goes out until the next nearer one is due: nobody gets a
    "tomorrow" reminder ten minutes before the start."""
    lead = timedelta(minutes=offset)
    sent = 0
    for row in await repo.due(conn, now + timedelta(minutes=nearer), now + lead, offset, BATCH):
        if not _was_registered_in_time(row, lead):
            continue  # registered after this reminder's time: the next offset reaches them
        registration_id = uuid.UUID(str(row["id"]))
        if await repo.claim(conn, registration_id, offset, row["scheduled_at"], now):
            payload = _payload(row, offset)
            await journal.emit(conn, row["brand_id"], EVENT, payload["session_id"], payload, now)
            sent += 1
    return sent


def _was_registered_in_time(row: Row, lead: timedelta) -> bool:
    seated_at: datetime = row["promoted_at"] or row["registered_at"]
    return bool(seated_at <= row["scheduled_at"] - lead)


def _payload(row: Row, offset: int) -> dict[str, Any]:
    return {
        "registration_id": str(row["id"]),
        "session_id": str(row["session_id"]),
        "user_id": row["user_id"],
        "offset_minutes": offset,
        "scheduled_at": row["scheduled_at"],
    }
