"""A circuit breaker: after repeated provider failures, fail fast for a cool-down period
instead of letting requests pile up behind a timeout."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from loop_live.platform.errors import ProviderError
from loop_live.platform.metrics import BREAKER_OPEN, BREAKER_OPENED

T = TypeVar("T")


class CircuitBreaker:
    def __init__(
        self,
        threshold: int = 5,
        cooldown_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = threshold
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None

    @property
    def is_open(self) -> bool:
        if self._opened_at is None:
            return False
        return self._clock() - self._opened_at < self._cooldown

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        if self.is_open:
            raise ProviderError("video provider is failing; retry shortly", retry_after=5)
        try:
            result = await operation()
        except ProviderError:
            self._record_failure()
            raise
        if self._opened_at is not None:
            BREAKER_OPEN.set(0)
        self._failures, self._opened_at = 0, None
        return result

    def _record_failure(self) -> None:
        self._failures += 1
        if self._failures >= self._threshold:
            # Half-open after the cool-down: the next call is a trial; one failure re-opens.
            self._opened_at = self._clock()
            self._failures = self._threshold - 1
            BREAKER_OPEN.set(1)
            BREAKER_OPENED.inc()
