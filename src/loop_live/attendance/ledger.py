"""The ledger, computed from the stored events whatever order they arrived in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loop_live.platform.db import Row


@dataclass
class Person:
    """One user's joins: connection id -> (joined at, left at or None); token issue times."""

    joins: dict[str, list[datetime | None]] = field(default_factory=dict)
    tokens: list[datetime] = field(default_factory=list)

    def add(self, kind: str, connection: str, at: datetime) -> None:
        if kind == "token":
            self.tokens.append(at)
            return
        span = self.joins.setdefault(connection, [None, None])
        span[0 if kind == "joined" else 1] = at

    def minutes(self, until: datetime) -> float:
        spans = sorted((s, e or max(s, until)) for s, e in self.joins.values() if s is not None)
        return round(_merged_seconds(spans) / 60, 1)


def _merged_seconds(spans: Iterable[tuple[datetime, datetime]]) -> float:
    """Overlapping joins (two devices) count once."""
    total, reach = 0.0, None
    for start, end in spans:
        if reach is not None and start < reach:
            start = reach
        if end > start:
            total += (end - start).total_seconds()
            reach = end if reach is None else max(reach, end)
    return total


def people(events: Iterable[Row]) -> dict[str, Person]:
    found: dict[str, Person] = defaultdict(Person)
    for row in events:
        found[row["user_id"]].add(row["kind"], row["connection_id"], row["at"])
    return found


def entry(registration: Row, person: Person | None, ended: bool, until: datetime) -> dict[str, Any]:
    person = person or Person()
    joined = [s for s, _ in person.joins.values() if s is not None]
    left = [e for _, e in person.joins.values() if e is not None]
    return {
        "registration_id": str(registration["id"]),
        "user_id": registration["user_id"],
        "role": registration["role"],
        "status": registration["status"],
        "first_joined_at": min(joined, default=None),
        "last_left_at": max(left, default=None),
        "joins": len(person.joins),
        "minutes": person.minutes(until),
        "token_issued_at": min(person.tokens, default=None),
        "no_show": ended
        and registration["status"] == "registered"
        and not person.joins
        and not person.tokens,
    }


def ledger(
    registrations: Sequence[Row], events: Iterable[Row], ended: bool, until: datetime
) -> list[dict[str, Any]]:
    found = people(events)
    return [entry(r, found.get(r["user_id"] or ""), ended, until) for r in registrations]
