"""Sessions as RFC 5545 events, written with the `icalendar` library.

Times are UTC (`...Z`), which every client converts to its own zone; a session is a single
instant, not a rule, so no VTIMEZONE is needed. DTSTAMP is the row's `updated_at` rather than
the time of the request, so an unchanged feed renders byte for byte the same (stable ETag).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from icalendar import Calendar, Event

from loop_live.platform.db import Row

PRODID = "-//Loop Platform//loop-live//EN"
UID_DOMAIN = "loop-live"


def uid(session_id: object) -> str:
    return f"{session_id}@{UID_DOMAIN}"


_CACHE: OrderedDict[str, bytes] = OrderedDict()
_CACHE_SIZE = 256


def render_cached(rows: Sequence[Row], name: str, join_url_template: str) -> bytes:
    """Calendar apps poll a feed that rarely changes; rendering 500 events costs hundreds of
    milliseconds, fingerprinting the rows that would go into it a few."""
    key = hashlib.sha256(repr((name, join_url_template, [tuple(r) for r in rows])).encode())
    digest = key.hexdigest()
    body = _CACHE.get(digest)
    if body is None:
        body = _CACHE[digest] = render(rows, name, join_url_template)
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(digest)
    return body


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
