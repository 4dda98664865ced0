"""Series request bodies and the series shape (SPEC §13)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from loop_live.sessions.schemas import SessionCreate, SessionPatch

Rule = Annotated[str, Meta(min_length=1, max_length=500)]
Zone = Annotated[str, Meta(min_length=1, max_length=64)]
TEMPLATE_FIELDS = (
    "host_id",
    "title",
    "kind",
    "description",
    "category",
    "community_slug",
    "duration_minutes",
    "max_participants",
    "co_host_ids",
    "cover_image_url",
    "tags",
    "metadata",
)


class SeriesCreate(SessionCreate, forbid_unknown_fields=True, kw_only=True):
    """The session fields (`scheduled_at` is the first occurrence) plus the rule and zone."""

    rrule: Rule
    timezone: Zone


class SeriesPatch(SessionPatch, forbid_unknown_fields=True, kw_only=True):
    """All future occurrences, or with `from_session_id` that occurrence and the following ones
    (the series splits). Occurrences edited on their own keep their changes."""

    from_session_id: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET
    rrule: Rule | UnsetType = UNSET
    timezone: Zone | UnsetType = UNSET


class Series(msgspec.Struct, kw_only=True):
    """A series as every endpoint returns it (documentation; rows are encoded directly)."""

    id: str
    brand_id: str
    host_id: str
    rrule: str
    timezone: str
    scheduled_at: datetime
    ends_before: datetime | None
    status: Literal["active", "cancelled"]
    template: dict[str, Any]
    materialised_until: datetime
    created_at: datetime
    updated_at: datetime


class SeriesPage(msgspec.Struct, kw_only=True):
    series: list[Series]
