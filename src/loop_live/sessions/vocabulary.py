"""The words a session's fields hold, defined once: the schema types, the list filters, the
repository's SQL literals and the CHECK constraints are all derived from these."""

from __future__ import annotations

from typing import Literal, get_args

SessionStatus = Literal["scheduled", "live", "ended", "cancelled"]
SessionKind = Literal["live", "office_hours"]
STATUSES: tuple[str, ...] = get_args(SessionStatus)
KINDS: tuple[str, ...] = get_args(SessionKind)
# Open sessions: the partial index, the upcoming filter, and who may still register.
OPEN_STATUSES: tuple[str, ...] = ("scheduled", "live")

CREATED = "live.session.created.v1"
UPDATED = "live.session.updated.v1"
CANCELLED = "live.session.cancelled.v1"
STARTED = "live.session.started.v1"
ENDED = "live.session.ended.v1"
RECORDING_READY = "live.recording.ready.v1"
