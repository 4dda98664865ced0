"""Time in one place: UTC-aware instants, month windows."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def month_window(year: int, month: int, tz: ZoneInfo | None) -> tuple[datetime, datetime]:
    """The [start, end) instants of a calendar month, its boundaries taken in `tz` (UTC if None)."""
    zone = tz or UTC
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
