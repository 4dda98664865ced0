"""Outbox event ids that sort in the order this process wrote them (the UUIDv7 layout).

The events of one transaction share its `created_at`, and the dispatcher delivers an
aggregate's events in `(created_at, id)` order: random ids would let a session's
`ended` and the `attendance.recorded` written after it leave in either order. The demo data
lays its ids out the same way, with a row number for the time (`ordered`).
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable

_VERSION_7 = 0x7 << 76
_VARIANT = 0b10 << 62
_lock = threading.Lock()
_last = 0


def ordered(prefix: int, randbits: Callable[[int], int] = secrets.randbits) -> int:
    """The layout as an integer: 48 bits of `prefix` (a time in ms, or any sequence) first, so
    that ids sort by it, then the version, 74 random bits and the variant."""
    return prefix << 80 | _VERSION_7 | randbits(12) << 64 | _VARIANT | randbits(62)


def next() -> uuid.UUID:
    """A fresh id, greater than every id this process made before."""
    global _last
    candidate = ordered(time.time_ns() // 1_000_000)
    with _lock:
        _last = max(candidate, _last + 1)
        return uuid.UUID(int=_last)
