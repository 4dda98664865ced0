"""Recording attendance and reporting it. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from loop_live.attendance import ledger
from loop_live.attendance import repository as repo
from loop_live.attendance.provider import Participant
from loop_live.platform import ids, journal
from loop_live.platform.auth import Principal
from loop_live.platform.db import Connection
from loop_live.platform.errors import Forbidden
from loop_live.platform.journal import Actor
from loop_live.realtime import notices
from loop_live.sessions import repository as sessions

RECORDED = "live.attendance.recorded.v1"
ENDED = "live.session.ended.v1"


async def participant(
    conn: Connection, brand: str, session_id: uuid.UUID, seen: Participant, now: datetime
) -> bool:
    """Store a provider join or leave; False when nothing new was learnt (a repeat)."""
    person, connection = seen.user_id, seen.connection_id
    added = await repo.add(
        conn, brand, session_id, person, "joined", connection, seen.joined_at, now
    )
    if seen.left_at is not None:
        added = (
            await repo.add(conn, brand, session_id, person, "left", connection, seen.left_at, now)
            or added
        )
    if added:
        await _changed(conn, brand, session_id)
    return added


async def token_issued(
    conn: Connection, brand: str, session_id: uuid.UUID, user_id: str, now: datetime
) -> None:
    """A join token counts as arrival when the provider reports no join (e.g. no webhooks)."""
    await repo.add(conn, brand, session_id, user_id, "token", str(uuid.uuid4()), now, now)
    await _changed(conn, brand, session_id)


async def _changed(conn: Connection, brand: str, session_id: uuid.UUID) -> None:
    await repo.recount(conn, session_id)
    await notices.touch(conn, brand, str(session_id))


async def report(
    conn: Connection, principal: Principal, brand: str, raw_id: str, now: datetime
) -> dict[str, Any]:
    session = await _session(conn, brand, raw_id)
    _check_access(principal, session)
    return await _report(conn, session, now)


async def _session(conn: Connection, brand: str, raw_id: str) -> dict[str, Any]:
    row = await ids.fetch(
        raw_id, "session", lambda session_id: sessions.get(conn, brand, session_id, "")
    )
    return sessions.session_json(row)


def _check_access(principal: Principal, session: dict[str, Any]) -> None:
    hosts = [session["host_id"], *msgspec.json.decode(session["co_host_ids"])]
    if not principal.manages and principal.subject not in hosts:
        raise Forbidden("only the session's hosts or manage:live may read its attendance")


async def _report(conn: Connection, session: dict[str, Any], now: datetime) -> dict[str, Any]:
    session_id = uuid.UUID(session["id"])
    ended = session["status"] == "ended"
    until = session["ended_at"] or now if ended else now
    rows = ledger.ledger(
        await repo.registrations(conn, session_id),
        await repo.events(conn, session_id),
        ended,
        until,
    )
    return {
        "session_id": session["id"],
        "status": session["status"],
        "attended": sum(1 for r in rows if r["joins"] or r["token_issued_at"]),
        "no_show": sum(1 for r in rows if r["no_show"]),
        "attendees": rows,
    }


async def recorded(conn: Connection, actor: Actor, session: dict[str, Any]) -> None:
    """When a session ends: the ledger in `live.attendance.recorded.v1` (no patient ids)."""
    report = await _report(conn, session, actor.now)
    for row in report["attendees"]:
        row.pop("user_id")
    await journal.emit(conn, actor.brand, RECORDED, session["id"], report, actor.now)
