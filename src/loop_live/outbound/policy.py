"""What an attempt's outcome means: delivered, try again (when), or failed for good."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

FIRST_DELAY = 30.0  # seconds before the first retry
MAX_DELAY = 3600.0  # the backoff stops growing at an hour
RETRYABLE = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class Result:
    """One attempt: the response status (None: no response) and what went wrong."""

    status: int | None
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status in RETRYABLE or self.status >= 500


def backoff(attempt: int) -> float:
    """Exponential with full jitter over its upper half: 15-30 s, 30-60 s, ... up to 30-60 min."""
    ceiling = min(FIRST_DELAY * 2 ** (attempt - 1), MAX_DELAY)
    return random.uniform(ceiling / 2, ceiling)


def next_attempt(result: Result, attempt: int, now: datetime, window: timedelta) -> datetime:
    """Not before the server's Retry-After, and never further off than the retry window."""
    delay = max(backoff(attempt), result.retry_after or 0.0)
    return now + min(timedelta(seconds=delay), window)


def retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - now).total_seconds(), 0.0) if when.tzinfo else None
