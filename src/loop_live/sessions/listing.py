"""The list endpoints' query parameters (SPEC §4), checked and turned into a keyset query."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from loop_live.platform import instants
from loop_live.platform.clock import month_window
from loop_live.platform.cursor import CursorCodec
from loop_live.platform.errors import ValidationFailed
from loop_live.sessions.repository import ListQuery
from loop_live.sessions.vocabulary import KINDS as KINDS
from loop_live.sessions.vocabulary import STATUSES as STATUSES

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True, slots=True)
class ListParams:
    """Raw query strings, as the route received them."""

    brand: str
    viewer: str
    limit: int | None = None
    cursor: str | None = None
    status: str | None = None
    kind: str | None = None
    category: str | None = None
    host_id: str | None = None
    host_user_id: str | None = None
    community_id: str | None = None
    month: str | None = None
    tz: str | None = None
    upcoming: str | None = None
    upcoming_only: str | None = None


def build_query(params: ListParams, cursors: CursorCodec, now: datetime) -> ListQuery:
    return ListQuery(
        brand=params.brand,
        viewer=params.viewer,
        limit=page_limit(params.limit) + 1,
        statuses=_statuses(params.status),
        kind=_choice("kind", params.kind, KINDS),
        category=_text("category", params.category),
        host_id=_host(_text("host_id", params.host_id), _text("host_user_id", params.host_user_id)),
        community=_text("community_id", params.community_id),
        window=_month(params.month, params.tz),
        open_after=now if _upcoming(params.upcoming, params.upcoming_only) else None,
        after=position(params.cursor, cursors),
    )


def next_cursor(
    cursors: CursorCodec, rows: list[Any], limit: int, at: str = "scheduled_at"
) -> str | None:
    """`rows` holds up to limit+1 rows, ordered by (`at`, id); a surplus row means more."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return cursors.encode([last[at].isoformat(), str(last["id"])])


def _invalid(parameter: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{parameter}: {message}", parameter=parameter)


def page_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise _invalid("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def _choice(parameter: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise _invalid(parameter, f"must be one of {', '.join(allowed)}")
    return value


def _statuses(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    statuses = tuple(dict.fromkeys(s.strip(" ") for s in raw.split(",")))
    for status in statuses:
        _choice("status", status, STATUSES)
    return statuses


def _text(parameter: str, value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL: the driver would fail the query with a 500.
    if value is not None and "\x00" in value:
        raise _invalid(parameter, "must not contain NUL characters")
    return value


def _host(host_id: str | None, host_user_id: str | None) -> str | None:
    if host_id is not None and host_user_id is not None and host_id != host_user_id:
        raise _invalid("host_user_id", "differs from host_id; they are the same filter")
    return host_id if host_id is not None else host_user_id


def _month(raw: str | None, tz: str | None) -> tuple[datetime, datetime] | None:
    zone = _zone(tz)
    if raw is None:
        return None
    match = _MONTH.fullmatch(raw)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise _invalid("month", "must be YYYY-MM")
    if not instants.FIRST_YEAR <= int(match.group(1)) <= instants.LAST_YEAR:
        first, last = instants.FIRST_YEAR, instants.LAST_YEAR
        raise _invalid("month", f"must lie between {first}-01 and {last}-12")
    return month_window(int(match.group(1)), int(match.group(2)), zone)


def _zone(tz: str | None) -> ZoneInfo | None:
    if tz is None:
        return None
    # Only names from the zone database: anything else would be read as a file path.
    if tz not in _zone_names():
        raise _invalid("tz", "must be an IANA time zone name such as Europe/Paris")
    return ZoneInfo(tz)


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _upcoming(upcoming: str | None, upcoming_only: str | None) -> bool:
    values = [
        _boolean(name, v)
        for name, v in (("upcoming", upcoming), ("upcoming_only", upcoming_only))
        if v is not None
    ]
    if len(set(values)) > 1:
        raise _invalid("upcoming_only", "contradicts upcoming; they are synonyms")
    return bool(values and values[0])


def _boolean(parameter: str, raw: str) -> bool:
    value = _BOOLEANS.get(raw.lower())
    if value is None:
        raise _invalid(parameter, "must be true, false, 1 or 0")
    return value


def position(cursor: str | None, cursors: CursorCodec) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    position = cursors.decode(cursor)
    try:
        at, session_id = position
        return datetime.fromisoformat(at), uuid.UUID(session_id)
    except (TypeError, ValueError):
        raise _invalid("cursor", "not a cursor this service issued") from None
