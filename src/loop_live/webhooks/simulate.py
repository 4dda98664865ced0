"""Builds and signs provider webhooks the way GetStream sends them, for local development."""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec

from loop_live.providers.base import signature
from loop_live.webhooks.vocabulary import HANDLED, RECORDING

EVENT_TYPES = HANDLED


def payload(event_type: str, call_cid: str, recording_url: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": event_type, "call_cid": call_cid, "created_at": time.time_ns()}
    if event_type == RECORDING:
        body["call_recording"] = {
            "filename": "recording.mp4",
            "url": recording_url or "https://example.com/recordings/demo.mp4",
            "session_id": uuid.uuid4().hex,
        }
    else:
        body["session_id"] = uuid.uuid4().hex
    return body


def signed(body: dict[str, Any], secret: str, api_key: str) -> tuple[bytes, dict[str, str]]:
    raw = msgspec.json.encode(body)
    headers = {
        "Content-Type": "application/json",
        "X-Signature": signature(secret, raw),
        "X-Webhook-Id": str(uuid.uuid4()),
        "X-Webhook-Attempt": "1",
        "X-Api-Key": api_key,
    }
    return raw, headers
