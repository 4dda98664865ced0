"""The provider webhook event types the service acts on, defined once."""

from __future__ import annotations

STARTED, ENDED, RECORDING = "call.session_started", "call.session_ended", "call.recording_ready"
HANDLED: tuple[str, ...] = (STARTED, ENDED, RECORDING)
