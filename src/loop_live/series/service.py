"""The rules of series: create, edit all/following, cancel one or all. Never commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import msgspec
from msgspec import UNSET

from loop_live.platform import ids, journal
from loop_live.platform.db import Connection, Row
from loop_live.platform.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from loop_live.platform.journal import Actor
from loop_live.series import occurrences, recurrence
from loop_live.series import repository as repo
from loop_live.series.schemas import TEMPLATE_FIELDS, SeriesCreate, SeriesPatch
from loop_live.sessions.repository import DEFAULT_DURATION_MINUTES
from loop_live.sessions.service import MAX_METADATA_BYTES

MAX_LISTED = 500

_RULE_FIELDS = ("rrule", "timezone", "scheduled_at")


def horizon_end(now: datetime, days: int) -> datetime:
    return now + timedelta(days=days)


async def get(conn: Connection, brand: str, raw_id: str, *, lock: bool = False) -> Row:
    return await ids.fetch(
        raw_id, "series", lambda series_id: repo.get(conn, brand, series_id, lock=lock)
    )


async def read(conn: Connection, actor: Actor, raw_id: str) -> dict[str, Any]:
    return repo.series_json(await get(conn, actor.brand, raw_id))


async def list_all(conn: Connection, actor: Actor) -> dict[str, Any]:
    rows = await repo.page(conn, actor.brand, MAX_LISTED)
    return {"series": [repo.series_json(row) for row in rows]}


async def create(conn: Connection, actor: Actor, data: SeriesCreate, days: int) -> dict[str, Any]:
    if data.host_id != actor.subject and not actor.principal.manages:
        raise Forbidden("only manage:live may schedule a series for another host")
    values = msgspec.structs.asdict(data)
    template = {k: values[k] for k in TEMPLATE_FIELDS}
    _check_metadata(template)
    until = horizon_end(max(actor.now, data.scheduled_at), days)
    rule = recurrence.parse(data.rrule, data.scheduled_at, data.timezone, _duration(template))
    instants = recurrence.check(rule, data.scheduled_at, until)
    series_id = uuid.uuid4()
    row = {
        "id": series_id,
        "brand_id": actor.brand,
        "host_id": data.host_id,
        "rrule": data.rrule,
        "timezone": data.timezone,
        "starts_at": data.scheduled_at,
        "ends_before": None,
        "template": template,
        "status": "active",
        "materialised_until": until,
        "created_at": actor.now,
        "updated_at": actor.now,
    }
    await repo.insert(conn, row)
    made = await occurrences.materialise(conn, actor, row, instants)
    return await _journal(conn, actor, series_id, "series.create", {"occurrences": made})


async def update(
    conn: Connection, actor: Actor, raw_id: str, patch: SeriesPatch, days: int
) -> dict[str, Any]:
    row = await get(conn, actor.brand, raw_id, lock=True)
    _check_host(actor, row)
    _check_active(row)
    changes = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not UNSET}
    split_from = changes.pop("from_session_id", None)
    if split_from is not None:
        return await _split(conn, actor, row, split_from, changes, days)
    merged = _merged(row, changes)
    await repo.update(conn, row["id"], merged, actor.now)
    fresh = await repo.get(conn, actor.brand, row["id"])
    assert fresh is not None
    counts = await occurrences.reconcile(conn, actor, fresh, _horizon(fresh, actor.now, days))
    return await _journal(conn, actor, row["id"], "series.update", counts)


async def _split(
    conn: Connection, actor: Actor, row: Row, raw_session: str, changes: dict[str, Any], days: int
) -> dict[str, Any]:
    session_id = ids.parse_id(raw_session)
    slot = None if session_id is None else await repo.slot_of(conn, row["id"], session_id)
    if slot is None:
        raise NotFound("from_session_id: no such occurrence in this series")
    if slot <= actor.now:
        raise InvalidState("from_session_id: that occurrence is past; only upcoming ones split")
    changes.setdefault("scheduled_at", slot)
    new_id = uuid.uuid4()
    tail = {**dict(zip(repo.SERIES_COLUMNS, row, strict=True)), "id": new_id}
    tail.update(rrule=_until_for_split(row), created_at=actor.now, updated_at=actor.now)
    tail["template"] = msgspec.json.decode(row["template"])
    tail["starts_at"] = slot
    await repo.insert(conn, tail)
    await repo.update(conn, row["id"], {"ends_before": slot}, actor.now)
    await repo.move_following(conn, row["id"], new_id, slot)
    await repo.update(conn, new_id, _merged(await _row(conn, actor, new_id), changes), actor.now)
    tail_row = await _row(conn, actor, new_id)
    counts = await occurrences.reconcile(conn, actor, tail_row, _horizon(tail_row, actor.now, days))
    await _journal(conn, actor, row["id"], "series.split", {"into": str(new_id)})
    return await _journal(conn, actor, new_id, "series.create", counts)


def _until_for_split(row: Row) -> str:
    """A COUNT rule's tail keeps the original last occurrence: COUNT becomes UNTIL."""
    text: str = row["rrule"]
    parts = [p for p in text.removeprefix("RRULE:").split(";") if p]
    if not any(p.upper().startswith("COUNT=") for p in parts):
        return text
    template = msgspec.json.decode(row["template"])
    rule = recurrence.parse(text, row["starts_at"], row["timezone"], _duration(template))
    last = rule.between(row["starts_at"], datetime.max.replace(tzinfo=row["starts_at"].tzinfo))[-1]
    # to the end of the last occurrence's local day, so a re-timed tail keeps that day
    place = recurrence.zone(row["timezone"])
    day_end = datetime.combine(last.astimezone(place).date(), time.max).replace(tzinfo=place)
    kept = [p for p in parts if not p.upper().startswith("COUNT=")]
    return ";".join([*kept, "UNTIL=" + day_end.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")])


def _horizon(row: Row, now: datetime, days: int) -> datetime:
    end: datetime = max(row["materialised_until"], horizon_end(max(now, row["starts_at"]), days))
    return end


def _merged(row: Row, changes: dict[str, Any]) -> dict[str, Any]:
    template = {
        **msgspec.json.decode(row["template"]),
        **{k: v for k, v in changes.items() if k in TEMPLATE_FIELDS},
    }
    _check_metadata(template)
    merged: dict[str, Any] = {"template": template}
    for field in _RULE_FIELDS:
        if field in changes:
            merged["starts_at" if field == "scheduled_at" else field] = changes[field]
    starts = merged.get("starts_at", row["starts_at"])
    rule = recurrence.parse(
        merged.get("rrule", row["rrule"]),
        starts,
        merged.get("timezone", row["timezone"]),
        _duration(template),
    )
    recurrence.check(rule, starts, starts + timedelta(days=366))
    return merged


async def cancel(conn: Connection, actor: Actor, raw_id: str) -> dict[str, Any]:
    """The series and its upcoming occurrences are cancelled; past ones stay as they were."""
    row = await get(conn, actor.brand, raw_id, lock=True)
    _check_host(actor, row)
    _check_active(row)
    await repo.update(conn, row["id"], {"status": "cancelled"}, actor.now)
    cancelled = 0
    for occurrence in await repo.future_occurrences(conn, row["id"], actor.now):
        if occurrence["status"] != "scheduled":
            continue
        await occurrences.cancel(conn, actor, uuid.UUID(str(occurrence["id"])))
        cancelled += 1
    return await _journal(conn, actor, row["id"], "series.cancel", {"cancelled": cancelled})


async def cancel_one(conn: Connection, actor: Actor, raw_id: str, raw_session: str) -> Any:
    row = await get(conn, actor.brand, raw_id)
    _check_host(actor, row)
    session_id = ids.parse_id(raw_session)
    if session_id is None or await repo.slot_of(conn, row["id"], session_id) is None:
        raise NotFound("no such occurrence in this series")
    return await occurrences.cancel(conn, actor, session_id)


async def _row(conn: Connection, actor: Actor, series_id: uuid.UUID) -> Row:
    row = await repo.get(conn, actor.brand, series_id)
    assert row is not None
    return row


async def _journal(
    conn: Connection, actor: Actor, series_id: uuid.UUID, action: str, details: dict[str, Any]
) -> dict[str, Any]:
    row = await _row(conn, actor, series_id)
    await journal.record(
        conn, actor, action=action, entity=("series", str(series_id)), details=details
    )
    return repo.series_json(row)


def _check_host(actor: Actor, row: Row) -> None:
    if row["host_id"] != actor.subject and not actor.principal.manages:
        raise Forbidden("only the series' host or manage:live may change it")


def _check_active(row: Row) -> None:
    if row["status"] != "active":
        raise InvalidState("the series is cancelled")


def _check_metadata(template: dict[str, Any]) -> None:
    if len(msgspec.json.encode(template.get("metadata") or {})) > MAX_METADATA_BYTES:
        raise ValidationFailed(f"metadata: larger than {MAX_METADATA_BYTES} bytes of JSON")


def _duration(template: dict[str, Any]) -> timedelta:
    return timedelta(minutes=template.get("duration_minutes") or DEFAULT_DURATION_MINUTES)
