"""The participant in GetStream's `call.session_participant_joined` / `_left` payloads
(`CallSessionParticipantJoinedEvent`, `CallSessionParticipantLeftEvent` in the SDK's models)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec
from msgspec import Meta

JOINED, LEFT = "call.session_participant_joined", "call.session_participant_left"
EVENTS = (JOINED, LEFT)
MAX_SECONDS = 7 * 24 * 3600


class _User(msgspec.Struct):
    id: Annotated[str, Meta(min_length=1, max_length=128)]


class _Participant(msgspec.Struct):
    user: _User
    user_session_id: Annotated[str, Meta(min_length=1, max_length=255)]
    joined_at: Any = None


class _Payload(msgspec.Struct):
    participant: _Participant
    duration_seconds: Annotated[int, Meta(ge=0, le=MAX_SECONDS)] | None = None


@dataclass(frozen=True, slots=True)
class Participant:
    user_id: str
    connection_id: str  # the provider's user_session_id: one per join
    joined_at: datetime  # for a `left`: its event time less the duration the provider reports
    left_at: datetime | None


def read(kind: str, payload: Any, at: datetime, instant: Callable[[Any], datetime]) -> Participant:
    """Raises ValueError (a fixed reason, no data) when the participant is unusable."""
    try:
        found = msgspec.convert(payload, _Payload)
    except msgspec.ValidationError:
        raise ValueError(
            f"{kind} needs participant.user.id and participant.user_session_id"
        ) from None
    user, connection = found.participant.user.id, found.participant.user_session_id
    if kind == JOINED:
        return Participant(user, connection, instant(found.participant.joined_at), None)
    joined = at - timedelta(seconds=found.duration_seconds or 0)
    return Participant(user, connection, joined, at)
