"""The list endpoints' query parameters (SPEC §4), checked and turned into a keyset query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import msgspec

from loop_live.platform import instants
from loop_live.platform.clock import month_window, utcnow
from loop_live.platform.cursor import CursorCodec
from loop_live.platform.db import Connection
from loop_live.platform.paging import invalid as _invalid
from loop_live.platform.paging import next_cursor, page_limit, position
from loop_live.platform.uow import Query
from loop_live.sessions import repository as repo
from loop_live.sessions.repository import ListQuery
from loop_live.sessions.vocabulary import KINDS as KINDS
from loop_live.sessions.vocabulary import STATUSES as STATUSES

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


def lister(params: ListParams, cursors: CursorCodec) -> Query:
    """The parameters are checked now, before any connection is taken."""
    query = build_query(params, cursors, utcnow())
    return lambda conn, actor: page(conn, query, params.limit, cursors)


async def page(
    conn: Connection, query: ListQuery, limit: int | None, cursors: CursorCodec
) -> dict[str, Any]:
    rows = list(await repo.page(conn, query))
    size = page_limit(limit)
    sessions = "[" + ",".join(row["document"] for row in rows[:size]) + "]"
    return {
        "sessions": msgspec.Raw(sessions.encode()),
        "next_cursor": next_cursor(cursors, rows, size),
    }


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
