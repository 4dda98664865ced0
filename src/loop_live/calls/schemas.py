"""Call bodies and shapes, as published for `/v1/live/calls`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from loop_live.calls.vocabulary import CallStatus
from loop_live.platform.instants import Body, Instant
from loop_live.sessions.schemas import Id, Title

MAX_PARTICIPANTS = 100


class CallCreate(Body, forbid_unknown_fields=True, kw_only=True):
    host_user_id: Id
    title: Title
    scheduled_at: Instant | None = None
    participant_ids: Annotated[list[Id], Meta(max_length=MAX_PARTICIPANTS)] = msgspec.field(
        default_factory=list
    )
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)


class CallTokenRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    user_id: Id
    ttl_seconds: Annotated[int, Meta(gt=0, le=86_400)] = 3600


class LiveState(msgspec.Struct, kw_only=True):
    is_live: bool
    current_session_id: str | None
    ended_at: datetime | None


class Call(msgspec.Struct, kw_only=True):
    id: str
    host_user_id: str
    participant_ids: list[str]
    title: str
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    stream_call_id: str | None
    stream_call_type: str
    recording_url: str | None
    recording_ready_at: datetime | None
    status: CallStatus
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class CallWithLive(Call, kw_only=True):
    live: LiveState | None


class CallToken(msgspec.Struct, kw_only=True):
    token: str
    stream_call_id: str
    stream_call_type: str
    expires_in_seconds: int
