"""The provider events we act on, read from GetStream's documented webhook payloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from loop_live.platform.errors import ValidationFailed

STARTED, ENDED, RECORDING = "call.session_started", "call.session_ended", "call.recording_ready"
HANDLED = (STARTED, ENDED, RECORDING)


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    type: str
    call_cid: str | None
    occurred_at: datetime
    recording_url: str | None


def parse(payload: Any, received_at: datetime) -> ProviderEvent:
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise ValidationFailed("webhook body must be a JSON object with a string `type`")
    kind = payload["type"]
    call_cid = payload.get("call_cid")
    if kind in HANDLED and not isinstance(call_cid, str):
        raise ValidationFailed(f"{kind} needs a string call_cid")
    recording = payload.get("call_recording")
    url = recording.get("url") if isinstance(recording, dict) else None
    if kind == RECORDING and not isinstance(url, str):
        raise ValidationFailed(f"{kind} needs call_recording.url")
    return ProviderEvent(kind, call_cid, instant(payload.get("created_at"), received_at), url)


def instant(value: Any, fallback: datetime) -> datetime:
    """GetStream sends Unix nanoseconds; its docs show RFC 3339. Accept both."""
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value) / 1e9, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return fallback
        return parsed.astimezone(UTC) if parsed.tzinfo else fallback
    return fallback
