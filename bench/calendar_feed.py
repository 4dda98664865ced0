"""How long a 500-event calendar feed takes to render and to parse back (not a timed test).

.venv/bin/python bench/calendar_feed.py
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from loop_live.calendars.ics import render, render_cached
from loop_live.calendars.repository import FEED_LIMIT


def rows(count: int) -> list[dict[str, object]]:
    start = datetime(2031, 1, 6, 17, 0, tzinfo=UTC)
    return [
        {
            "id": uuid.uuid4(),
            "title": f"Office hours #{i}",
            "description": "Bring your questions",
            "status": "cancelled" if i % 10 == 0 else "scheduled",
            "scheduled_at": start + timedelta(days=i),
            "ends_at": start + timedelta(days=i, hours=1),
            "sequence": i % 3,
            "created_at": start - timedelta(days=30),
            "updated_at": start - timedelta(days=1),
            "series_id": None,
        }
        for i in range(count)
    ]


def main() -> None:
    feed = rows(FEED_LIMIT)
    timings = []
    for _ in range(20):
        began = time.perf_counter()
        body = render(feed, "bench", "https://live.example.com/s/{session_id}")  # type: ignore[arg-type]
        timings.append(time.perf_counter() - began)
    render_cached(feed, "bench", "t/{session_id}")  # type: ignore[arg-type]
    began = time.perf_counter()
    render_cached(feed, "bench", "t/{session_id}")  # type: ignore[arg-type]
    cached = time.perf_counter() - began
    began = time.perf_counter()
    parsed = Calendar.from_ical(body)
    parse = time.perf_counter() - began
    events = len(parsed.walk("VEVENT"))
    print(
        f"{events} events, {len(body) / 1024:.0f} KiB: render median "
        f"{statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms; "
        f"unchanged (cached) {cached * 1000:.1f} ms; parse {parse * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
