"""The rules of registration: capacity, the waitlist, who may register whom. Never commits.

Every change locks the session row first, so seats are counted under one lock across
processes and machines (on SQLite, `BEGIN IMMEDIATE` serialises writers the same way).
"""

from __future__ import annotations

from typing import Any

from loop_live.platform import ids, journal
from loop_live.platform.db import Connection
from loop_live.platform.errors import (
    AlreadyRegistered,
    AtCapacity,
    Forbidden,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from loop_live.platform.journal import Actor
from loop_live.platform.uow import Outcome
from loop_live.registrations import repository as repo
from loop_live.registrations import seats
from loop_live.registrations import vocabulary as words
from loop_live.registrations.schemas import RegisterBody
from loop_live.sessions import repository as sessions
from loop_live.sessions.repository import SessionState
from loop_live.sessions.vocabulary import OPEN_STATUSES


async def locked_session(conn: Connection, actor: Actor, raw_id: str) -> SessionState:
    return await ids.fetch(
        raw_id, "session", lambda session_id: sessions.lock(conn, actor.brand, session_id)
    )


def _check_open(state: SessionState) -> None:
    if state.status not in OPEN_STATUSES:
        raise InvalidState(f"the session is {state.status}; registration is closed")


async def register_person(
    conn: Connection, actor: Actor, raw_id: str, body: RegisterBody
) -> dict[str, Any]:
    """POST /register: a named member or guest; a full session refuses (412)."""
    if (body.patient_id is None) == (body.guest_email is None):
        raise ValidationFailed("give exactly one of patient_id or guest_email")
    state = await locked_session(conn, actor, raw_id)
    _check_may_register(actor, state, body)
    _check_open(state)
    existing = await (
        repo.active_for_user(conn, state.id, body.patient_id)
        if body.patient_id is not None
        else repo.active_for_guest(conn, state.id, (body.guest_email or "").lower())
    )
    if existing is not None:
        raise AlreadyRegistered("already registered for this session")
    if state.registered_count >= state.max_participants:
        raise AtCapacity("the session is full", max_participants=state.max_participants)
    return await _create(
        conn, actor, state, body.patient_id, body.guest_email, body.role, "registered"
    )


def _check_may_register(actor: Actor, state: SessionState, body: RegisterBody) -> None:
    is_self = body.patient_id == actor.subject and body.role != "host"
    if not (is_self or state.is_host(actor.subject) or actor.principal.manages):
        raise Forbidden(
            "registering someone else, a guest or a host needs manage:live or hosting the session"
        )


async def register_self(conn: Connection, actor: Actor, raw_id: str) -> Outcome:
    """POST /registrations: the caller; waitlisted when full; a repeat returns the original."""
    state = await locked_session(conn, actor, raw_id)
    _check_open(state)
    existing = await repo.active_for_user(conn, state.id, actor.subject)
    if existing is not None:
        return Outcome(repo.registration_json(existing), 200)
    status = "registered" if state.registered_count < state.max_participants else "waitlist"
    created = await _create(conn, actor, state, actor.subject, None, "participant", status)
    return Outcome(created, 201)


async def _create(
    conn: Connection,
    actor: Actor,
    state: SessionState,
    user_id: str | None,
    guest_email: str | None,
    role: str,
    status: str,
) -> dict[str, Any]:
    await seats.count(conn, state.id, status, +1)
    row = await repo.insert(
        conn,
        brand=actor.brand,
        session_id=state.id,
        user_id=user_id,
        guest_email=guest_email,
        role=role,
        status=status,
        now=actor.now,
    )
    registration = repo.registration_json(row)
    await journal.record(
        conn,
        actor,
        action="registration.create",
        entity=("registration", registration["id"]),
        details={
            "session_id": str(state.id),
            "status": status,
            "role": role,
            "guest": guest_email is not None,
        },
        event=words.CREATED,
        payload=registration,
    )
    return registration


async def cancel_self(conn: Connection, actor: Actor, raw_id: str) -> dict[str, Any]:
    """DELETE /registrations: the caller's seat goes to the oldest waitlisted registration."""
    state = await locked_session(conn, actor, raw_id)
    row = await repo.active_for_user(conn, state.id, actor.subject)
    if row is None:
        raise NotFound("you hold no registration for this session")
    cancelled = await repo.cancel(conn, row, actor.now)
    await seats.count(conn, state.id, row["status"], -1)
    promoted = 0
    if row["status"] == "registered" and state.status in OPEN_STATUSES:
        promoted = await seats.promote(conn, actor, state.id, 1)
    registration = repo.registration_json(cancelled)
    await journal.record(
        conn,
        actor,
        action="registration.cancel",
        entity=("registration", registration["id"]),
        details={"session_id": str(state.id), "promoted": promoted},
        event=words.CANCELLED,
        payload=registration,
    )
    return registration
