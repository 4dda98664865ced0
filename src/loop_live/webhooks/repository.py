"""All SQL of the webhook inbox and of the provider-driven state changes.

Each update is written so that any order of deliveries reaches the same final state:
`started_at` keeps the earliest start, `ended_at` the latest end, the recording the latest
ready event, and `ended` (like `cancelled`) is never left.
"""

from __future__ import annotations

from datetime import datetime

from loop_live.platform.db import Connection, Row, Sql
from loop_live.platform.db.sql import SqlCache
from loop_live.sessions.repository import RETURNING_UNVIEWED

_CLAIM = Sql(
    "INSERT INTO webhook_inbox (webhook_id, brand_id, event_type, call_cid, received_at)"
    " VALUES (:webhook_id, :brand_id, :event_type, :call_cid, :now)"
    " ON CONFLICT (webhook_id) DO NOTHING"
)
_SESSION = "SELECT id, brand_id, status FROM sessions WHERE stream_call_id = :cid"
_CALL = (
    "SELECT id, brand_id, status FROM calls"
    " WHERE stream_call_type = :call_type AND stream_call_id = :call_id"
)
_statements = SqlCache()
_START = (
    " SET started_at = CASE WHEN started_at IS NULL OR started_at > :at THEN :at"
    " ELSE started_at END, status = CASE WHEN status = 'scheduled' THEN 'live' ELSE status END,"
    " updated_at = :now WHERE id = :id"
)
_END = (
    " SET ended_at = CASE WHEN ended_at IS NULL OR ended_at < :at THEN :at ELSE ended_at END,"
    " status = CASE WHEN status IN ('scheduled', 'live') THEN 'ended' ELSE status END,"
    " updated_at = :now WHERE id = :id"
)
_RECORDING = (
    " SET recording_url = :url, recording_ready_at = :at, updated_at = :now"
    " WHERE id = :id AND (recording_ready_at IS NULL OR recording_ready_at < :at"
    # Equal times tie-break on the URL, so two recordings converge whatever their order.
    " OR (recording_ready_at = :at AND recording_url < :url))"
)
# A changed session comes back as the API shows it to nobody in particular (the provider).
_SESSION_OUT = " AND status <> 'cancelled' " + RETURNING_UNVIEWED
_UPDATES = {
    ("sessions", "start"): Sql("UPDATE sessions" + _START + _SESSION_OUT),
    ("sessions", "end"): Sql("UPDATE sessions" + _END + _SESSION_OUT),
    ("sessions", "recording"): Sql("UPDATE sessions" + _RECORDING + _SESSION_OUT),
    ("calls", "start"): Sql("UPDATE calls" + _START + " RETURNING id"),
    ("calls", "end"): Sql("UPDATE calls" + _END + " RETURNING id"),
    ("calls", "recording"): Sql("UPDATE calls" + _RECORDING + " RETURNING id"),
}


async def claim(
    conn: Connection,
    webhook_id: str,
    brand: str,
    event_type: str,
    call_cid: str | None,
    now: datetime,
) -> bool:
    """Record the delivery; False when this webhook id was already processed."""
    inserted = await conn.execute(
        _CLAIM,
        {
            "webhook_id": webhook_id,
            "brand_id": brand,
            "event_type": event_type,
            "call_cid": call_cid,
            "now": now,
        },
    )
    return inserted > 0


async def session_by_cid(conn: Connection, call_cid: str) -> Row | None:
    """The session behind a call, locked: its status before the change names the event."""
    return await conn.fetchrow(_statements.get(_SESSION + conn.row_lock), {"cid": call_cid})


async def call_by_cid(conn: Connection, call_cid: str) -> Row | None:
    call_type, _, call_id = call_cid.partition(":")
    sql = _statements.get(_CALL + conn.row_lock)
    return await conn.fetchrow(sql, {"call_type": call_type, "call_id": call_id})


async def apply(
    conn: Connection,
    table: str,
    change: str,
    row_id: object,
    at: datetime,
    now: datetime,
    url: str | None = None,
) -> Row | None:
    """The changed row (a session as `session_json` reads it), or None when it was left alone
    (cancelled session, older recording)."""
    params: dict[str, object] = {"id": row_id, "at": at, "now": now}
    if change == "recording":
        params["url"] = url
    return await conn.fetchrow(_UPDATES[(table, change)], params)
