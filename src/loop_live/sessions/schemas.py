"""Request bodies and the one session shape every endpoint returns (SPEC §2)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from loop_live.platform.instants import Body, Instant
from loop_live.sessions.vocabulary import SessionKind, SessionStatus

Kind = SessionKind
Status = SessionStatus
Id = Annotated[str, Meta(min_length=1, max_length=128)]
Title = Annotated[str, Meta(min_length=1, max_length=200)]
Description = Annotated[str, Meta(max_length=10_000)]
Category = Annotated[str, Meta(min_length=1, max_length=64)]
Slug = Annotated[str, Meta(min_length=1, max_length=128)]
Capacity = Annotated[int, Meta(gt=0, le=100_000)]
Minutes = Annotated[int, Meta(gt=0, le=1440)]
# An absolute http(s) URL, as `service._check_presentation` requires.
Url = Annotated[str, Meta(max_length=2048, pattern="^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]")]
Tag = Annotated[str, Meta(min_length=1, max_length=64)]
Tags = Annotated[list[Tag], Meta(max_length=50)]
CoHosts = Annotated[list[Id], Meta(max_length=20)]
Metadata = dict[str, Any]


class SessionCreate(Body, forbid_unknown_fields=True, kw_only=True):
    host_id: Id
    brand_id: Annotated[str, Meta(min_length=1, max_length=64)]
    title: Title
    scheduled_at: Instant
    max_participants: Capacity
    kind: Kind = "live"
    metadata: Metadata = msgspec.field(default_factory=dict)
    description: Description | None = None
    category: Category | None = None
    community_slug: Slug | None = None
    duration_minutes: Minutes | None = None
    co_host_ids: CoHosts = msgspec.field(default_factory=list)
    cover_image_url: Url | None = None
    tags: Tags = msgspec.field(default_factory=list)


class SessionPatch(Body, forbid_unknown_fields=True, kw_only=True):
    """A host's edit: every field optional; absent means unchanged."""

    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    community_slug: Slug | UnsetType | None = UNSET
    scheduled_at: Instant | UnsetType = UNSET
    max_participants: Capacity | UnsetType = UNSET
    duration_minutes: Minutes | UnsetType = UNSET
    co_host_ids: CoHosts | UnsetType = UNSET
    cover_image_url: Url | UnsetType | None = UNSET
    tags: Tags | UnsetType = UNSET
    kind: Kind | UnsetType = UNSET
    category: Category | UnsetType = UNSET
    metadata: Metadata | UnsetType = UNSET


class AdminSessionPatch(SessionPatch, forbid_unknown_fields=True, kw_only=True):
    """The admin edit of the seed contract: a host's fields plus cancel and reinstate."""

    status: Literal["scheduled", "cancelled"] | UnsetType = UNSET


class Session(msgspec.Struct, kw_only=True):
    """The session as every endpoint returns it (documentation; rows are encoded directly)."""

    id: str
    host_id: str
    brand_id: str
    title: str
    description: str | None
    kind: Kind
    category: str | None
    community_slug: str | None
    scheduled_at: datetime
    duration_minutes: int | None
    started_at: datetime | None
    ended_at: datetime | None
    status: Status
    stream_call_id: str | None
    max_participants: int
    co_host_ids: list[str]
    cover_image_url: str | None
    tags: list[str]
    recording_url: str | None
    metadata: Metadata
    registered_count: int
    waitlist_count: int
    attended_count: int  # registrations the provider saw join (SPEC §14)
    is_registered: bool
    created_at: datetime
    updated_at: datetime
    series_id: str | None = None


class SessionPage(msgspec.Struct, kw_only=True):
    sessions: list[Session]
    next_cursor: str | None
