"""Occurrences: the sessions a series stands for, made, re-timed and cancelled."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from loop_live.platform import journal
from loop_live.platform.db import Connection, Row
from loop_live.platform.journal import Actor
from loop_live.registrations import repository as registrations
from loop_live.registrations import seats
from loop_live.registrations import vocabulary as registration_words
from loop_live.series import recurrence
from loop_live.series import repository as repo
from loop_live.sessions import repository as sessions
from loop_live.sessions.repository import DEFAULT_DURATION_MINUTES


def rule_of(row: Row) -> recurrence.Recurrence:
    template = msgspec.json.decode(row["template"])
    minutes = template.get("duration_minutes") or DEFAULT_DURATION_MINUTES
    return recurrence.parse(
        row["rrule"], row["starts_at"], row["timezone"], timedelta(minutes=minutes)
    )


def wanted(row: Row, start: datetime, end: datetime) -> list[datetime]:
    """The rule's instants in [start, end), before the series' split point, capped."""
    if row["ends_before"] is not None:
        end = min(end, row["ends_before"])
    instants = rule_of(row).between(max(start, row["starts_at"]), end)
    return instants[: recurrence.MAX_OCCURRENCES]


async def materialise(
    conn: Connection, actor: Actor, row: Row | dict[str, Any], instants: Sequence[datetime]
) -> int:
    template = row["template"]
    if isinstance(template, str | bytes):
        template = msgspec.json.decode(template)
    made = 0
    for instant in instants:
        made += await _insert(conn, actor, row, template, instant)
    return made


async def _insert(
    conn: Connection, actor: Actor, row: Any, template: dict[str, Any], instant: datetime
) -> int:
    session_id = uuid.uuid4()
    values = {
        **template,
        "id": session_id,
        "brand_id": row["brand_id"],
        "scheduled_at": instant,
        "ends_at": sessions.ends_at(instant, template.get("duration_minutes")),
        "status": "scheduled",
        "started_at": None,
        "ended_at": None,
        "stream_call_id": None,
        "recording_url": None,
        "registered_count": 0,
        "waitlist_count": 0,
        "created_at": actor.now,
        "updated_at": actor.now,
        "series_id": uuid.UUID(str(row["id"])),
        "series_slot": instant,
    }
    if not await repo.insert_occurrence(conn, values):
        return 0
    await _announce(conn, actor, session_id, "live.session.created.v1")
    return 1


async def reconcile(conn: Connection, actor: Actor, row: Row, horizon: datetime) -> dict[str, int]:
    """Bring upcoming occurrences in line with the series: the same local day keeps its
    session (re-timed, registrations kept), days the rule left are cancelled, new days made.
    Detached occurrences are left as their own edits made them."""
    place = ZoneInfo(row["timezone"])
    template = msgspec.json.decode(row["template"])
    existing = await repo.future_occurrences(conn, uuid.UUID(str(row["id"])), actor.now)
    by_day = {_day(o["series_slot"], place): o for o in existing}
    counts = {"updated": 0, "cancelled": 0, "created": 0}
    for instant in wanted(row, actor.now, horizon):
        held = by_day.pop(_day(instant, place), None)
        if held is None:
            counts["created"] += await _insert(conn, actor, row, template, instant)
        elif not held["series_detached"]:
            await _retime(conn, actor, held, template, instant)
            counts["updated"] += 1
    for left in by_day.values():
        if not left["series_detached"]:
            await cancel(conn, actor, uuid.UUID(str(left["id"])))
            counts["cancelled"] += 1
    return counts


async def _retime(
    conn: Connection, actor: Actor, held: Row, template: dict[str, Any], instant: datetime
) -> None:
    changes: dict[str, Any] = {k: v for k, v in template.items() if k != "max_participants"}
    changes["ends_at"] = sessions.ends_at(instant, template.get("duration_minutes"))
    if held["scheduled_at"] != instant:
        changes.update(scheduled_at=instant, series_slot=instant)
    session_id = uuid.UUID(str(held["id"]))
    state = await sessions.state(conn, actor.brand, session_id)
    if state is not None and template["max_participants"] >= state.registered_count:
        changes["max_participants"] = template["max_participants"]
    await repo.reschedule(conn, session_id, changes, actor.now)
    await _announce(conn, actor, session_id, "live.session.updated.v1")


def _day(instant: datetime, place: ZoneInfo) -> date:
    return instant.astimezone(place).date()


async def cancel(conn: Connection, actor: Actor, session_id: uuid.UUID) -> dict[str, Any]:
    """Cancel one occurrence and its registrations, each announced (SPEC §8)."""
    state = await sessions.lock(conn, actor.brand, session_id)
    assert state is not None
    if state.status == "scheduled":
        await sessions.update(conn, session_id, {"status": "cancelled"}, actor.now)
        for registration in await repo.active_registrations(conn, session_id):
            await _cancel_registration(conn, actor, registration)
    row = await sessions.get(conn, actor.brand, session_id, actor.subject)
    assert row is not None
    session = sessions.session_json(row)
    await journal.record(
        conn,
        actor,
        action="session.cancel",
        entity=("session", str(session_id)),
        details={"series_id": session["series_id"]},
        event="live.session.cancelled.v1",
        payload=session,
    )
    return session


async def _cancel_registration(conn: Connection, actor: Actor, registration: Row) -> None:
    cancelled = await registrations.cancel(conn, registration, actor.now)
    await seats.count(conn, cancelled["session_id"], registration["status"], -1)
    await journal.record(
        conn,
        actor,
        action="registration.cancel",
        entity=("registration", str(registration["id"])),
        details={"session_id": str(registration["session_id"]), "reason": "session_cancelled"},
        event=registration_words.CANCELLED,
        payload=registrations.registration_json(cancelled),
    )


async def _announce(conn: Connection, actor: Actor, session_id: uuid.UUID, event: str) -> None:
    row = await sessions.get(conn, actor.brand, session_id, actor.subject)
    assert row is not None
    await journal.emit(
        conn, actor.brand, event, str(session_id), sessions.session_json(row), actor.now
    )


async def extend(conn: Connection, actor: Actor, row: Row, horizon: datetime) -> int:
    """The worker's pass over one series: occurrences up to the new horizon."""
    horizon = max(horizon, row["materialised_until"])
    made = await materialise(conn, actor, row, wanted(row, row["materialised_until"], horizon))
    await repo.update(conn, uuid.UUID(str(row["id"])), {"materialised_until": horizon}, actor.now)
    return made
