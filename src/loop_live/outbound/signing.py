"""The headers of one delivery: our hex HMAC and the Standard Webhooks signature(s)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook

from loop_live.outbound.secrets import key_bytes


def headers(
    secrets: Sequence[str], event_id: str, event_type: str, body: bytes, attempt: int, at: datetime
) -> dict[str, str]:
    """`secrets[0]` is current; any others (a rotated-out secret in its grace period) are also
    listed in `webhook-signature`, which carries several signatures separated by spaces."""
    text = body.decode()
    signatures = " ".join(Webhook(s).sign(event_id, at, text) for s in secrets)
    digest = hmac.new(key_bytes(secrets[0]), body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "x-loop-event-id": event_id,
        "x-loop-event-type": event_type,
        "x-loop-signature": digest,
        "x-loop-delivery-attempt": str(attempt),
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
