"""Attendance (SPEC §14): the provider's participant webhooks, in GetStream's documented shape
(`CallSessionParticipantJoinedEvent` / `CallSessionParticipantLeftEvent`), build the ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

RTC_SESSION = "rtc-session-1"


def _ns(at: datetime) -> int:
    return int(at.timestamp()) * 1_000_000_000 + at.microsecond * 1000


def _participant(user_id: str, connection: str, joined_at: datetime) -> dict[str, Any]:
    return {
        "user": {"id": user_id, "name": "", "role": "user", "custom": {}},
        "user_session_id": connection,
        "role": "user",
        "joined_at": joined_at.isoformat().replace("+00:00", "Z"),
    }


def joined(cid: str, user_id: str, connection: str, at: datetime) -> dict[str, Any]:
    return {
        "type": "call.session_participant_joined",
        "call_cid": cid,
        "session_id": RTC_SESSION,
        "created_at": _ns(at),
        "participant": _participant(user_id, connection, at),
    }


def left(
    cid: str, user_id: str, connection: str, joined_at: datetime, at: datetime
) -> dict[str, Any]:
    return {
        "type": "call.session_participant_left",
        "call_cid": cid,
        "session_id": RTC_SESSION,
        "created_at": _ns(at),
        "duration_seconds": int((at - joined_at).total_seconds()),
        "participant": _participant(user_id, connection, joined_at),
    }
