"""Sessions as RFC 5545 events, written with the `icalendar` library.

Times are UTC (`...Z`), which every client converts to its own zone; a session is a single
instant, not a rule, so no VTIMEZONE is needed. DTSTAMP is the row's `updated_at` rather than
the time of the request, so an unchanged feed renders byte for byte the same (stable ETag).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from icalendar import Calendar, Event

from loop_live.platform.db import Row

PRODID = "-//Loop Platform//loop-live//EN"
UID_DOMAIN = "loop-live"


def uid(session_id: object) -> str:
    return f"{session_id}@{UID_DOMAIN}"


def render(rows: Iterable[Row], name: str, join_url_template: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for row in rows:
        calendar.add_component(_event(row, join_url_template))
    body: bytes = calendar.to_ical()
    return body


def _event(row: Row, join_url_template: str) -> Event:
    event = Event()
    event.add("uid", uid(row["id"]))
    event.add("dtstamp", _utc(row["updated_at"]))
    event.add("last-modified", _utc(row["updated_at"]))
    event.add("created", _utc(row["created_at"]))
    event.add("dtstart", _utc(row["scheduled_at"]))
    event.add("dtend", _utc(row["ends_at"]))
    event.add("sequence", row["sequence"])
    event.add("summary", row["title"])
    if row["description"]:
        event.add("description", row["description"])
    event.add("status", "CANCELLED" if row["status"] == "cancelled" else "CONFIRMED")
    event.add("url", join_url_template.format(session_id=row["id"]))
    return event


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
