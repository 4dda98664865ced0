"""Rows for a believable demo: brands, hosts, communities, sessions in every status, members
registered and waitlisted. Deterministic for a seed; generated in batches for bulk loading."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from loop_live.platform import event_ids
from loop_live.sessions.repository import COLUMNS, ends_at

BRANDS = ("loop-health", "northwind-wellness", "acme-fitness")
CATEGORIES = ("nutrition", "fitness", "sleep", "mindfulness", "longevity", "hormones")
TOPICS = (
    "Ask the coach",
    "Morning mobility",
    "Metabolic health Q&A",
    "Sleep reset",
    "Strength basics",
    "Mindful minutes",
    "Lab results explained",
    "Recipe clinic",
)
SESSION_COLUMNS = (*COLUMNS, "ends_at")
_SESSION_ROW = itemgetter(*SESSION_COLUMNS)  # a dict of columns -> the row, in C
REGISTRATION_COLUMNS = (
    "id",
    "brand_id",
    "session_id",
    "user_id",
    "guest_email",
    "guest_email_key",
    "role",
    "status",
    "registered_at",
    "cancelled_at",
    "promoted_at",
    "updated_at",
)
HOSTS_PER_BRAND, MEMBERS_PER_BRAND, COMMUNITIES_PER_BRAND = 200, 50_000, 20


@dataclass
class Batch:
    sessions: list[tuple[Any, ...]] = field(default_factory=list)
    registrations: list[tuple[Any, ...]] = field(default_factory=list)


def _ordered_id(sequence: int, rng: random.Random) -> uuid.UUID:
    # Rows arrive in key order, so a load appends to each key's index: random ids touched a
    # random page per row, and past the page cache (~300,000 sessions on SQLite) every one of
    # them was a read and a spill.
    return uuid.UUID(int=event_ids.ordered(sequence, rng.getrandbits))


def batches(total: int, now: datetime, seed: int = 7, size: int = 5_000) -> Iterator[Batch]:
    rng = random.Random(seed)
    batch = Batch()
    for index in range(total):
        _add_session(batch, rng, index, now)
        if len(batch.sessions) >= size:
            yield batch
            batch = Batch()
    if batch.sessions:
        yield batch


def _status(rng: random.Random, start: datetime, end: datetime, now: datetime) -> str:
    if end <= now:
        return "cancelled" if rng.random() < 0.08 else "ended"
    if start <= now:
        return "live"
    return "cancelled" if rng.random() < 0.05 else "scheduled"


def _add_session(batch: Batch, rng: random.Random, index: int, now: datetime) -> None:
    brand = BRANDS[index % len(BRANDS)]
    minutes = rng.randint(-365 * 24 * 60, 365 * 24 * 60) if index % 250 else -rng.randint(1, 25)
    start = now + timedelta(minutes=minutes)
    start = start.replace(second=0, microsecond=0)
    duration = rng.choice((None, 30, 45, 60, 90))
    end = ends_at(start, duration)
    status = _status(rng, start, end, now)
    capacity = rng.choice((5, 10, 25, 50, 100, 500))
    session_id = _ordered_id(index, rng)
    registered, waitlisted = _registrations(batch, rng, index, brand, session_id, capacity, start)
    kind = "office_hours" if index % 4 == 0 else "live"
    values = {
        "id": session_id,
        "host_id": f"host-{rng.randrange(HOSTS_PER_BRAND):03d}",
        "brand_id": brand,
        "title": f"{rng.choice(TOPICS)} #{index}",
        "description": "A live session from the demo data.",
        "kind": kind,
        "category": rng.choice(CATEGORIES),
        "community_slug": f"community-{rng.randrange(COMMUNITIES_PER_BRAND):02d}",
        "scheduled_at": start,
        "duration_minutes": duration,
        "started_at": start if status in ("live", "ended") else None,
        "ended_at": end if status == "ended" else None,
        "status": status,
        "stream_call_id": f"livestream:{session_id}" if status in ("live", "ended") else None,
        "max_participants": capacity,
        "co_host_ids": "[]",
        "cover_image_url": None,
        "tags": '["demo"]',
        "recording_url": None,
        "metadata": "{}",
        "registered_count": registered,
        "waitlist_count": waitlisted,
        "created_at": start - timedelta(days=14),
        "updated_at": start - timedelta(days=14),
        "ends_at": end,
        "series_id": None,
    }
    batch.sessions.append(_SESSION_ROW(values))


def _registrations(
    batch: Batch,
    rng: random.Random,
    index: int,
    brand: str,
    session_id: uuid.UUID,
    capacity: int,
    start: datetime,
) -> tuple[int, int]:
    wanted = rng.randint(0, 6)
    members = rng.sample(range(MEMBERS_PER_BRAND), wanted)
    registered = 0
    for offset, member in enumerate(members):
        status = "registered" if registered < capacity else "waitlist"
        registered += status == "registered"
        at = start - timedelta(days=7, minutes=-offset)
        batch.registrations.append(
            (
                _ordered_id(index * 8 + offset, rng),
                brand,
                session_id,
                f"member-{member:05d}",
                None,
                None,
                "participant",
                status,
                at,
                None,
                None,
                at,
            )
        )
    return registered, wanted - registered
