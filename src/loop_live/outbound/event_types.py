"""The outbox's event types a subscription may name (SPEC §8, plus those defined in code)."""

from __future__ import annotations

from typing import Literal, get_args

WEBHOOK_DISABLED = "live.webhook.disabled.v1"

EventType = Literal[
    "live.session.created.v1",
    "live.session.updated.v1",
    "live.session.cancelled.v1",
    "live.session.started.v1",
    "live.session.ended.v1",
    "live.registration.created.v1",
    "live.registration.cancelled.v1",
    "live.registration.promoted.v1",
    "live.recording.ready.v1",
    "live.webhook.disabled.v1",
]
EVENT_TYPES = frozenset(get_args(EventType))
