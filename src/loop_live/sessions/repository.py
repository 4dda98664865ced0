"""All SQL about sessions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from loop_live.platform.db import Connection, Row, Sql, returning
from loop_live.platform.db.json_text import Field
from loop_live.platform.db.sql import SqlCache, one_of
from loop_live.sessions.vocabulary import OPEN_STATUSES, STATUSES

# The API's session object, field by field in the order it is rendered.
SESSION = (
    Field("id", "uuid"),
    Field("host_id", "text"),
    Field("brand_id", "text"),
    Field("title", "text"),
    Field("description", "text", nullable=True),
    Field("kind", "text"),
    Field("category", "text", nullable=True),
    Field("community_slug", "text", nullable=True),
    Field("scheduled_at", "instant"),
    Field("duration_minutes", "integer", nullable=True),
    Field("started_at", "instant", nullable=True),
    Field("ended_at", "instant", nullable=True),
    Field("status", "text"),
    Field("stream_call_id", "text", nullable=True),
    Field("max_participants", "integer"),
    Field("co_host_ids", "json"),
    Field("cover_image_url", "text", nullable=True),
    Field("tags", "json"),
    Field("recording_url", "text", nullable=True),
    Field("metadata", "json"),
    Field("registered_count", "integer"),
    Field("waitlist_count", "integer"),
    Field("created_at", "instant"),
    Field("updated_at", "instant"),
    Field("series_id", "uuid", nullable=True),
    Field("attended_count", "integer"),
    Field("is_registered", "boolean"),
)
OUT_COLUMNS = tuple(field.name for field in SESSION)
# What a write stores; attendance keeps attended_count, and is_registered is the viewer's.
COLUMNS = OUT_COLUMNS[:-2]
JSON_FIELDS = ("co_host_ids", "tags", "metadata")
DEFAULT_DURATION_MINUTES = 60
# A written row returned in the API's shape, as seen by nobody in particular (no viewer).
RETURNING_UNVIEWED = "RETURNING " + ", ".join(OUT_COLUMNS[:-1]) + ", 0 AS is_registered"

# The viewer's registered sessions, read once per statement on their own index (migration
# 0010) and hashed; a probe per listed session was half of PostgreSQL's time for a page.
_IS_REGISTERED = (
    "s.id IN (SELECT r.session_id FROM registrations r WHERE r.user_id = :viewer"
    " AND r.status = 'registered')"
)
# The members a stored document (migration 0009) leaves for the reader: the viewer's own.
_VIEWED = f"',\"is_registered\":' || CASE WHEN {_IS_REGISTERED} THEN 'true}}' ELSE 'false}}' END"
_PROJECTION = (
    "SELECT "
    + ", ".join(f"s.{c}" for c in OUT_COLUMNS[:-1])
    + f", {_IS_REGISTERED} AS is_registered"
)
_SELECT = _PROJECTION + " FROM sessions s"
_GET = Sql(_SELECT + " WHERE s.id = :id AND s.brand_id = :brand")
_INSERT = Sql(
    "INSERT INTO sessions ("
    + ", ".join((*COLUMNS, "ends_at"))
    + ") VALUES ("
    + ", ".join(f":{c}" for c in (*COLUMNS, "ends_at"))
    + ") "
    + RETURNING_UNVIEWED  # nobody has registered for a session that did not exist
)
_SET_CALL = Sql(
    "UPDATE sessions SET stream_call_id = :cid, updated_at = :now"
    " WHERE id = :id AND stream_call_id IS NULL"
)
_statements = SqlCache()
OPEN_SESSIONS = one_of("s.status", OPEN_STATUSES)


@dataclass(frozen=True, slots=True)
class SessionState:
    """The fields the lifecycle rules look at, read under a row lock."""

    id: uuid.UUID
    brand_id: str
    host_id: str
    co_host_ids: tuple[str, ...]
    status: str
    kind: str
    scheduled_at: datetime
    duration_minutes: int | None
    max_participants: int
    registered_count: int
    waitlist_count: int
    stream_call_id: str | None

    @property
    def ends_at(self) -> datetime:
        return ends_at(self.scheduled_at, self.duration_minutes)

    def is_host(self, user_id: str) -> bool:
        return user_id == self.host_id or user_id in self.co_host_ids


@dataclass(frozen=True, slots=True)
class ListQuery:
    brand: str
    viewer: str
    limit: int
    statuses: tuple[str, ...] = ()
    kind: str | None = None
    category: str | None = None
    host_id: str | None = None
    community: str | None = None
    window: tuple[datetime, datetime] | None = None
    open_after: datetime | None = None
    after: tuple[datetime, uuid.UUID] | None = None


def session_json(row: Row) -> dict[str, Any]:
    """A row as the API's session object; JSON columns pass through without re-parsing."""
    out = dict(zip(OUT_COLUMNS, row, strict=True))
    out["id"] = str(out["id"])
    out["series_id"] = None if out["series_id"] is None else str(out["series_id"])
    for field in JSON_FIELDS:
        out[field] = msgspec.Raw(out[field])
    out["is_registered"] = bool(out["is_registered"])
    return out


def ends_at(scheduled_at: datetime, duration_minutes: int | None) -> datetime:
    return scheduled_at + timedelta(minutes=duration_minutes or DEFAULT_DURATION_MINUTES)


async def get(conn: Connection, brand: str, session_id: uuid.UUID, viewer: str) -> Row | None:
    return await conn.fetchrow(_GET, {"id": session_id, "brand": brand, "viewer": viewer})


async def lock(conn: Connection, brand: str, session_id: uuid.UUID) -> SessionState | None:
    """The session's state, locked against concurrent writers until the transaction ends."""
    return await state(conn, brand, session_id, lock=True)


async def state(
    conn: Connection, brand: str, session_id: uuid.UUID, *, lock: bool = False
) -> SessionState | None:
    sql = _statements.get(
        "SELECT id, brand_id, host_id, co_host_ids, status, kind, scheduled_at, duration_minutes,"
        " max_participants, registered_count, waitlist_count, stream_call_id FROM sessions"
        " WHERE id = :id AND brand_id = :brand" + (conn.row_lock if lock else "")
    )
    row = await conn.fetchrow(sql, {"id": session_id, "brand": brand})
    if row is None:
        return None
    values = dict(zip(row.keys(), row, strict=True))
    values["id"] = uuid.UUID(str(values["id"]))
    values["co_host_ids"] = tuple(msgspec.json.decode(values["co_host_ids"]))
    return SessionState(**values)


async def set_call(conn: Connection, session_id: uuid.UUID, call_cid: str, now: datetime) -> None:
    await conn.execute(_SET_CALL, {"id": session_id, "cid": call_cid, "now": now})


async def insert(conn: Connection, values: Mapping[str, Any]) -> Row:
    return await returning(conn, _INSERT, _encode(values))


async def update(
    conn: Connection, session_id: uuid.UUID, changes: Mapping[str, Any], now: datetime
) -> None:
    fields = sorted(changes)
    sql = _statements.get(
        "UPDATE sessions SET "
        + ", ".join(f"{f} = :{f}" for f in (*fields, "updated_at"))
        + _series_effects(fields)
        + " WHERE id = :id"
    )
    await conn.execute(sql, {**_encode(changes), "updated_at": now, "id": session_id})


async def page(conn: Connection, query: ListQuery) -> Sequence[Row]:
    """Rows of (scheduled_at, id, document): each session already rendered as the API's JSON
    by the database, so that the server passes text through instead of decoding every column
    of every row and encoding it again."""
    where, params = _where(query)
    if where is None:
        return []
    # The page is cut in a subquery before is_registered is computed, so that the planner
    # costs the per-row lookup for one page rather than for the brand's whole filtered range.
    sql = _statements.get(
        f"SELECT s.scheduled_at, s.id, s.document || {_VIEWED} AS document"
        f" FROM (SELECT * FROM sessions s WHERE {' AND '.join(where)}"
        " ORDER BY s.scheduled_at, s.id LIMIT :limit) s ORDER BY s.scheduled_at, s.id"
    )
    return await conn.fetch(sql, params)


def _where(query: ListQuery) -> tuple[list[str] | None, dict[str, Any]]:
    """The page's WHERE terms (ANDed), or None when the filters contradict each other
    (`status=ended&upcoming=true`): then nothing can match and no statement is sent, where
    the planner would otherwise walk every ended session to find none."""
    where = ["s.brand_id = :brand"]
    params: dict[str, Any] = {"brand": query.brand, "viewer": query.viewer, "limit": query.limit}
    for column, value in (
        ("kind", query.kind),
        ("category", query.category),
        ("host_id", query.host_id),
        ("community_slug", query.community),
    ):
        if value is not None:
            where.append(f"s.{column} = :{column}")
            params[column] = value
    statuses = _statuses(query)
    if statuses is None:
        return None, params
    if statuses:
        # Literals from the vocabulary, not parameters: a generic plan can then prove that
        # `status = 'scheduled'` lies inside the partial indexes of open sessions (with a
        # parameter, scheduled+fitness walked every ended fitness session: 27,914 rows).
        where.append(one_of("s.status", statuses))
        if set(statuses) < set(OPEN_STATUSES):
            where.append(OPEN_SESSIONS)  # SQLite takes a partial index only when it is repeated
    if query.window is not None:
        where.append("s.scheduled_at >= :window_start AND s.scheduled_at < :window_end")
        params["window_start"], params["window_end"] = query.window
    if query.open_after is not None and "scheduled" in statuses:
        # Upcoming: a live session is never over, a scheduled one is until it ends.
        over = "s.ends_at > :open_after"
        where.append(f"(s.status = 'live' OR {over})" if "live" in statuses else over)
        params["open_after"] = query.open_after
    if query.after is not None:
        where.append("(s.scheduled_at, s.id) > (:after_at, :after_id)")
        params["after_at"], params["after_id"] = query.after
    return where, params


def _statuses(query: ListQuery) -> tuple[str, ...] | None:
    """The statuses to keep, in vocabulary order (empty: any). With upcoming, only open ones;
    None when none is left, as for `status=ended&upcoming=true`."""
    statuses = query.statuses
    if query.open_after is not None:
        statuses = tuple(s for s in statuses or OPEN_STATUSES if s in OPEN_STATUSES)
        if not statuses:
            return None
    return tuple(s for s in STATUSES if s in statuses)


def _series_effects(fields: Sequence[str]) -> str:
    """An edit of one occurrence detaches it from its series (a series edit leaves it alone);
    a change of time or status raises the iCalendar SEQUENCE (SPEC §13)."""
    effects = ", series_detached = (series_id IS NOT NULL)"
    if {"scheduled_at", "duration_minutes", "status"} & set(fields):
        effects += ", sequence = sequence + 1"
    return effects


def _encode(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: msgspec.json.encode(v).decode() if k in JSON_FIELDS else v for k, v in values.items()
    }
