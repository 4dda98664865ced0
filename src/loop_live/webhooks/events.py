"""The provider events we act on, read from GetStream's documented webhook payloads.

Provider input is untrusted (SPEC §11): a validly signed delivery that cannot be used (not an
object, a missing field, an absurd timestamp, a recording URL that is not http(s)) raises
`Unusable`; the route acknowledges it as ignored, since a retry would not make it usable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from loop_live.attendance import provider as attendance
from loop_live.platform import instants
from loop_live.platform.errors import ValidationFailed
from loop_live.platform.strict_body import check_document
from loop_live.webhooks.vocabulary import HANDLED, RECORDING

MAX_TYPE, MAX_CID, MAX_URL = 100, 255, 2048  # the inbox's and the sessions' column widths


class Unusable(ValueError):
    """A delivery the service acknowledges and drops; the message is a fixed reason, no data."""


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    type: str
    call_cid: str | None
    occurred_at: datetime
    recording_url: str | None
    participant: attendance.Participant | None = None


def parse(payload: Any, received_at: datetime) -> ProviderEvent:
    kind = _kind(payload)
    call_cid = payload.get("call_cid")
    if kind in (*HANDLED, *attendance.EVENTS) and not _bounded_text(call_cid, MAX_CID):
        raise Unusable(f"{kind} needs a string call_cid of at most {MAX_CID} characters")
    url = _recording_url(payload) if kind == RECORDING else None
    occurred_at = instant(payload.get("created_at"), received_at)
    cid = call_cid if isinstance(call_cid, str) else None
    return ProviderEvent(kind, cid, occurred_at, url, _participant(kind, payload, occurred_at))


def _participant(kind: str, payload: Any, at: datetime) -> attendance.Participant | None:
    if kind not in attendance.EVENTS:
        return None
    try:
        return attendance.read(kind, payload, at, lambda value: instant(value, at))
    except ValueError as exc:
        raise Unusable(str(exc)) from None


def _kind(payload: Any) -> str:
    if not isinstance(payload, dict) or not _bounded_text(payload.get("type"), MAX_TYPE):
        raise Unusable("the body is not a JSON object with a string `type`")
    try:
        check_document(payload)
    except ValidationFailed as exc:
        raise Unusable(exc.message) from None
    kind: str = payload["type"]
    return kind


def _bounded_text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def _recording_url(payload: dict[str, Any]) -> str:
    recording = payload.get("call_recording")
    url = recording.get("url") if isinstance(recording, dict) else None
    if not isinstance(url, str) or not _bounded_text(url, MAX_URL) or not _absolute_http(url):
        raise Unusable(f"{RECORDING} needs call_recording.url, an absolute http(s) URL")
    return url


def _absolute_http(url: str) -> bool:
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def instant(value: Any, fallback: datetime) -> datetime:
    """GetStream sends Unix nanoseconds; its docs show RFC 3339. Accept both, in range.

    A missing `created_at` falls back to the time of receipt; a present but unreadable or
    out-of-range one makes the event unusable."""
    if value is None:
        return fallback
    at = _rfc3339(value) if isinstance(value, str) and not _digits(value) else _nanoseconds(value)
    if at is None or not instants.in_range(at):
        raise Unusable(f"created_at must be Unix nanoseconds or RFC 3339, {instants.RANGE_TEXT}")
    return at


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 30


def _nanoseconds(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    nanoseconds = int(value)
    seconds = nanoseconds // 1_000_000_000
    if not instants.EARLIEST.timestamp() <= seconds < instants.LATEST.timestamp():
        return None
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=nanoseconds % 10**9 // 1000)


def _rfc3339(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None
