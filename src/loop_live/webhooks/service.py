"""Applies a verified provider event to the session or call it names. Never commits."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from loop_live.attendance import service as attendance
from loop_live.platform import journal
from loop_live.platform.auth import Principal
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Connection, Row
from loop_live.platform.journal import Actor
from loop_live.sessions import repository as sessions
from loop_live.sessions import vocabulary as session_words
from loop_live.webhooks import repository as repo
from loop_live.webhooks.events import ProviderEvent
from loop_live.webhooks.vocabulary import ENDED, RECORDING, STARTED

Outcome = Literal["applied", "duplicate", "ignored"]
_CHANGES = {STARTED: "start", ENDED: "end", RECORDING: "recording"}
_SESSION_EVENTS = {
    ("scheduled", "live"): session_words.STARTED,
    ("scheduled", "ended"): session_words.ENDED,
    ("live", "ended"): session_words.ENDED,
}


async def handle(conn: Connection, provider: str, webhook_id: str, event: ProviderEvent) -> Outcome:
    session = await repo.session_by_cid(conn, event.call_cid) if event.call_cid else None
    call = None
    if session is None and event.call_cid:
        call = await repo.call_by_cid(conn, event.call_cid)
    return await apply(conn, provider, webhook_id, event, session, call)


async def apply(
    conn: Connection,
    provider: str,
    webhook_id: str,
    event: ProviderEvent,
    session: Row | None,
    call: Row | None = None,
) -> Outcome:
    """Apply `event` to a session or call already found (and locked) by the caller; the
    scheduled jobs reach sessions without a provider call this way."""
    now = utcnow()
    target = session or call
    brand = "" if target is None else str(target["brand_id"])
    if not await repo.claim(conn, webhook_id, brand, event.type, event.call_cid, now):
        return "duplicate"
    change = _CHANGES.get(event.type)
    if session is not None and event.participant is not None:
        session_id = uuid.UUID(str(session["id"]))
        seen = await attendance.participant(conn, brand, session_id, event.participant, now)
        return "applied" if seen else "duplicate"
    if target is None or change is None:
        return "ignored"
    actor = Actor(Principal(f"provider:{provider}", frozenset(), brand), brand, webhook_id, now)
    table = "sessions" if session is not None else "calls"
    changed = await repo.apply(
        conn, table, change, target["id"], event.occurred_at, now, event.recording_url
    )
    if changed is None:
        return "ignored"
    await _journal(conn, actor, table, target, changed, event)
    return "applied"


async def _journal(
    conn: Connection, actor: Actor, table: str, before: Row, after: Row, event: ProviderEvent
) -> None:
    entity_id = str(before["id"])
    details: dict[str, Any] = {"event": event.type, "call_cid": event.call_cid}
    if table == "calls":
        await journal.record(
            conn, actor, action=f"call.{event.type}", entity=("call", entity_id), details=details
        )
        return
    session = sessions.session_json(after)
    name = _SESSION_EVENTS.get((before["status"], session["status"]))
    if event.type == RECORDING:
        name = session_words.RECORDING_READY
    await journal.record(
        conn,
        actor,
        action=f"session.{event.type}",
        entity=("session", entity_id),
        details=details,
        event=name,
        payload=session,
    )
    if name == attendance.ENDED:  # after the session's own event: the outbox keeps this order
        await attendance.recorded(conn, actor, session)
