"""The rules of sessions: who may change what, and the lifecycle of SPEC §3. Never commits."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from msgspec import UNSET

from loop_live.platform import ids, journal
from loop_live.platform.auth import Principal
from loop_live.platform.db import Connection
from loop_live.platform.errors import Forbidden, InvalidState, ValidationFailed
from loop_live.platform.journal import Actor
from loop_live.registrations import seats
from loop_live.sessions import repository as repo
from loop_live.sessions import vocabulary as words
from loop_live.sessions.schemas import SessionCreate, SessionPatch

PRESENTATION = frozenset(
    {
        "title",
        "description",
        "category",
        "tags",
        "cover_image_url",
        "metadata",
        "co_host_ids",
        "community_slug",
    }
)
MAX_METADATA_BYTES = 16_384
_LIFECYCLE_FIELDS = ("kind", "scheduled_at", "duration_minutes", "max_participants")


async def get(conn: Connection, principal: Principal, brand: str, raw_id: str) -> dict[str, Any]:
    row = await ids.fetch(
        raw_id, "session", lambda session_id: repo.get(conn, brand, session_id, principal.subject)
    )
    return repo.session_json(row)


async def read(conn: Connection, actor: Actor, raw_id: str) -> dict[str, Any]:
    return await get(conn, actor.principal, actor.brand, raw_id)


async def create(conn: Connection, actor: Actor, data: SessionCreate) -> dict[str, Any]:
    if data.host_id != actor.subject and not actor.principal.manages:
        raise Forbidden("only manage:live may schedule a session for another host")
    values = msgspec.structs.asdict(data)
    _check_presentation(values)
    session_id = uuid.uuid4()
    values.update(
        id=session_id,
        brand_id=actor.brand,
        co_host_ids=_unique(data.co_host_ids),
        status="scheduled",
        started_at=None,
        ended_at=None,
        stream_call_id=None,
        recording_url=None,
        series_id=None,
        registered_count=0,
        waitlist_count=0,
        created_at=actor.now,
        updated_at=actor.now,
        ends_at=repo.ends_at(data.scheduled_at, data.duration_minutes),
    )
    session = repo.session_json(await repo.insert(conn, values))
    await journal.record(
        conn,
        actor,
        action="session.create",
        entity=("session", session["id"]),
        details={"host_id": data.host_id, "scheduled_at": data.scheduled_at},
        event=words.CREATED,
        payload=session,
    )
    return session


async def update(
    conn: Connection, actor: Actor, raw_id: str, patch: SessionPatch, *, admin: bool
) -> dict[str, Any]:
    state = await ids.fetch(
        raw_id, "session", lambda session_id: repo.lock(conn, actor.brand, session_id)
    )
    if not admin:
        _check_host(actor.principal, state)
    changes = {
        k: v
        for k, v in msgspec.structs.asdict(patch).items()
        if v is not UNSET and not _same_as_stored(state, k, v)
    }
    if not changes and state.status != "ended":
        return await get(conn, actor.principal, actor.brand, raw_id)
    _check_lifecycle(state, changes)
    _check_presentation(changes)
    _check_capacity(state, changes)
    if "co_host_ids" in changes:
        changes["co_host_ids"] = _unique(changes["co_host_ids"])
    if "scheduled_at" in changes or "duration_minutes" in changes:
        changes["ends_at"] = repo.ends_at(
            changes.get("scheduled_at", state.scheduled_at),
            changes.get("duration_minutes", state.duration_minutes),
        )
    await repo.update(conn, state.id, changes, actor.now)
    promoted = await _fill_seats(conn, actor, state, changes)
    session = await get(conn, actor.principal, actor.brand, raw_id)
    await journal.record(
        conn,
        actor,
        action="session.update" if not admin else "session.admin_update",
        entity=("session", session["id"]),
        details={"fields": sorted(changes), "status": session["status"], "promoted": promoted},
        event=_event_for(state.status, changes),
        payload=session,
    )
    return session


def _same_as_stored(state: repo.SessionState, field: str, value: Any) -> bool:
    """A client resending a lifecycle field unchanged (a whole-form save) changes nothing."""
    return field in _LIFECYCLE_FIELDS and getattr(state, field) == value


def _event_for(previous: str, changes: dict[str, Any]) -> str:
    if changes.get("status") == "cancelled" and previous != "cancelled":
        return words.CANCELLED
    return words.UPDATED


def _check_host(principal: Principal, state: repo.SessionState) -> None:
    if not (state.is_host(principal.subject) or principal.manages):
        raise Forbidden("only the session's host, a co-host or manage:live may edit it")


def _check_lifecycle(state: repo.SessionState, changes: dict[str, Any]) -> None:
    if state.status == "ended":
        raise InvalidState("the session has ended and can no longer be changed")
    if state.status == "live":
        locked = sorted(set(changes) - PRESENTATION)
        if locked:
            raise InvalidState(
                f"the session is live: only presentation fields may change, not {locked}",
                fields=locked,
            )
    if state.status == "cancelled" and changes.get("status") != "scheduled":
        raise InvalidState('a cancelled session can only be reinstated with status "scheduled"')


def _check_capacity(state: repo.SessionState, changes: dict[str, Any]) -> None:
    capacity = changes.get("max_participants")
    if capacity is not None and capacity < state.registered_count:
        raise InvalidState(
            f"max_participants {capacity} is below the {state.registered_count} registered;"
            " cancel registrations first",
            registered_count=state.registered_count,
        )


def _check_presentation(values: dict[str, Any]) -> None:
    # cover_image_url's shape is the `Url` type's pattern, checked when the body is decoded.
    metadata = values.get("metadata")
    if metadata is not None and len(msgspec.json.encode(metadata)) > MAX_METADATA_BYTES:
        raise ValidationFailed(f"metadata: larger than {MAX_METADATA_BYTES} bytes of JSON")


async def _fill_seats(
    conn: Connection, actor: Actor, state: repo.SessionState, changes: dict[str, Any]
) -> int:
    capacity = changes.get("max_participants", state.max_participants)
    free = capacity - state.registered_count
    if free <= 0 or state.waitlist_count == 0:
        return 0
    return await seats.promote(conn, actor, state.id, free)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
