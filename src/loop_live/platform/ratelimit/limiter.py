"""Moving-window rate limits from the `limits` library: Redis when configured, else memory.

While Redis fails, checks fall back to this process's own memory for a short cool-down, so a
Redis outage neither rejects nor stalls requests, and clients are still limited per process.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from loop_live.platform.settings import Settings

log = logging.getLogger("loop_live.ratelimit")

REDIS_TIMEOUT_SECONDS = 1.0
REDIS_RETRY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one check; `retry_after` (seconds) is set only when refused."""

    allowed: bool
    limit: int
    retry_after: float = 0.0


ALLOWED = Verdict(True, 0)


class Limiter:
    """Named budgets (`reads`, `writes`, `admin`, `auth_failures`) of N requests per minute."""

    def __init__(
        self,
        budgets: dict[str, int],
        redis_url: str | None,
        prefix: str,
        retry_redis_after: float = REDIS_RETRY_SECONDS,
    ) -> None:
        self._items = {name: RateLimitItemPerMinute(n) for name, n in budgets.items() if n > 0}
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared = _redis_limiter(redis_url, prefix) if redis_url else None
        self._redis_down_until = 0.0
        self._retry_redis_after = retry_redis_after

    def enabled(self, budget: str) -> bool:
        return budget in self._items

    async def hit(self, budget: str, *key: str) -> Verdict:
        """Spend one request of `budget` for `key`; refused when the window is full."""
        item = self._items.get(budget)
        if item is None:
            return ALLOWED
        return await self._call(item, key, spend=True)

    async def check(self, budget: str, *key: str) -> Verdict:
        """Whether `key` still has room in `budget`, spending nothing."""
        item = self._items.get(budget)
        if item is None:
            return ALLOWED
        return await self._call(item, key, spend=False)

    async def _call(self, item: RateLimitItem, key: tuple[str, ...], spend: bool) -> Verdict:
        if self._shared is not None and time.monotonic() >= self._redis_down_until:
            try:
                async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                    return await _verdict(self._shared, item, key, spend)
            except Exception as exc:  # whatever fails in the shared store, count locally
                self._redis_failed(exc)
        return await _verdict(self._memory, item, key, spend)

    def _redis_failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now < self._redis_down_until:
            return  # a concurrent request already reported this outage: one line per period
        self._redis_down_until = now + self._retry_redis_after
        log.warning(
            "rate-limit storage (Redis) failed, limiting in process memory for %.0f s: %s",
            self._retry_redis_after,
            type(exc).__name__,
        )


async def _verdict(
    strategy: MovingWindowRateLimiter, item: RateLimitItem, key: tuple[str, ...], spend: bool
) -> Verdict:
    passed = await (strategy.hit(item, *key) if spend else strategy.test(item, *key))
    if passed:
        return Verdict(True, item.amount)
    stats = await strategy.get_window_stats(item, *key)
    return Verdict(False, item.amount, max(0.001, stats.reset_time - time.time()))


def _redis_limiter(url: str, prefix: str) -> MovingWindowRateLimiter:
    storage: Storage = RedisStorage(
        url if url.startswith("async+") else f"async+{url}",
        wrap_exceptions=True,
        key_prefix=prefix,
        connect_timeout=REDIS_TIMEOUT_SECONDS,
        stream_timeout=REDIS_TIMEOUT_SECONDS,
    )
    return MovingWindowRateLimiter(storage)


def build_limiter(settings: Settings) -> Limiter:
    budgets = {
        "reads": settings.rate_limit_reads,
        "writes": settings.rate_limit_writes,
        "admin": settings.rate_limit_admin,
        "auth_failures": settings.rate_limit_auth_failures,
    }
    return Limiter(budgets, settings.redis_url, settings.rate_limit_key_prefix)


def whole_seconds(retry_after: float) -> int:
    """`Retry-After` is an integer number of seconds, at least 1, never early."""
    return max(1, math.ceil(retry_after))
