"""Rate limits per client and route class, and per address for failed authentication."""

from loop_live.platform.ratelimit.limiter import Limiter, build_limiter
from loop_live.platform.ratelimit.middleware import ClientLimitMiddleware, FailureLimitMiddleware

__all__ = ["ClientLimitMiddleware", "FailureLimitMiddleware", "Limiter", "build_limiter"]
