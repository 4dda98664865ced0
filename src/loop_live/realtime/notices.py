"""What a committed change announces: the outbox event's id, its brand and the session it
touches. Ids only (a NOTIFY payload must stay under 8000 bytes); subscribers read the session."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from loop_live.platform.db import Connection

CHANNEL = "live_sessions"
_BY_PAYLOAD = ("live.registration.", "live.attendance.")
_BY_AGGREGATE = ("live.session.", "live.recording.")


class Notice(msgspec.Struct, array_like=True, frozen=True):
    id: str
    brand: str
    session_id: str


_decoder = msgspec.json.Decoder(Notice)


def session_of(event: str, aggregate_id: str, payload: Any) -> str | None:
    if event.startswith(_BY_AGGREGATE):
        return aggregate_id
    if event.startswith(_BY_PAYLOAD) and isinstance(payload, dict):
        session_id = payload.get("session_id")
        return session_id if isinstance(session_id, str) else None
    return None


async def announce(
    conn: Connection, event_id: str, brand: str, event: str, aggregate_id: str, payload: Any
) -> None:
    """Called for every outbox event: the ones about a session are announced on commit."""
    session_id = session_of(event, aggregate_id, payload)
    if session_id is not None:
        notice = Notice(event_id, brand, session_id)
        await conn.notify(CHANNEL, msgspec.json.encode(notice).decode())


async def touch(conn: Connection, brand: str, session_id: str) -> None:
    """Announce a change to the session that has no outbox event (an attendance count)."""
    notice = Notice(str(uuid.uuid4()), brand, session_id)
    await conn.notify(CHANNEL, msgspec.json.encode(notice).decode())


def decode(payload: str) -> Notice | None:
    try:
        return _decoder.decode(payload)
    except msgspec.DecodeError:
        return None
