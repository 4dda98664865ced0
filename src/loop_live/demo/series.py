"""Demo series: weekly office hours and a monthly AMA, made through the series rules."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from loop_live.platform.auth import Principal
from loop_live.platform.db import Database
from loop_live.platform.journal import Actor
from loop_live.series import service
from loop_live.series.schemas import SeriesCreate

BRAND = "loop-health"
HOST = "host-001"
_SERIES = (
    ("Office hours with host-001", "office_hours", "FREQ=WEEKLY;BYDAY=TU", "Europe/Berlin"),
    ("Ask me anything", "live", "FREQ=MONTHLY;BYDAY=1TH", "America/New_York"),
)


async def load(db: Database, now: datetime, horizon_days: int) -> int:
    principal = Principal(subject=HOST, scopes=frozenset({"write:live"}), brand=BRAND)
    actor = Actor(principal, BRAND, f"demo-{uuid.uuid4().hex[:12]}", now)
    async with db.write() as conn:
        for title, kind, rule, zone in _SERIES:
            body = SeriesCreate(
                host_id=HOST,
                brand_id=BRAND,
                title=title,
                kind=kind,  # type: ignore[arg-type]
                scheduled_at=_next_18_00(now, zone),
                max_participants=50,
                rrule=rule,
                timezone=zone,
            )
            await service.create(conn, actor, body, horizon_days)
    return len(_SERIES)


def _next_18_00(now: datetime, zone: str) -> datetime:
    place = ZoneInfo(zone)
    day = now.astimezone(place).date() + timedelta(days=1)
    return datetime.combine(day, time(18, 0), tzinfo=place)
