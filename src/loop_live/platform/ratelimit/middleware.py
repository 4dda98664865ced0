"""Two ASGI middlewares around the bearer middleware.

`FailureLimitMiddleware` (outside it) counts 401s per source address and turns an address over
its budget away before any token is verified. `ClientLimitMiddleware` (inside it) spends the
caller's budget for the route's class before the handler, so a limited request does no DB work.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.handlers import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from loop_live.platform import metrics
from loop_live.platform.auth.principal import ADMIN, Principal
from loop_live.platform.errors import LiveError, RateLimited, handle_exception
from loop_live.platform.ratelimit.limiter import Limiter, Verdict, whole_seconds

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNBOUND_BRAND = "*"


def route_class(handler: BaseRouteHandler, method: str) -> str:
    """`admin` for routes needing admin:live; otherwise the method decides reads or writes."""
    if handler.opt.get("scope") == ADMIN:
        return "admin"
    return "reads" if method in READ_METHODS else "writes"


def client_key(principal: Principal) -> tuple[str, str]:
    # The brand comes from the token only: a header or parameter would let a brand-less
    # service token buy a fresh budget per brand it names.
    return principal.brand or UNBOUND_BRAND, principal.rate_limit_client


def source_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


class ClientLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: Limiter) -> None:
        self.app, self.limiter = app, limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = scope.get("user")
        if scope["type"] == ScopeType.HTTP and isinstance(principal, Principal):
            budget = route_class(scope["route_handler"], scope["method"])
            verdict = await self.limiter.hit(budget, budget, *client_key(principal))
            if not verdict.allowed:
                await reject(
                    scope, receive, send, verdict, budget, f"too many {budget} for this client"
                )
                return
        await self.app(scope, receive, send)


class Cleared:
    """Addresses found under their failure budget in the last second, so a stream of good
    requests costs one storage read per second, not one each. Any 401 from an address forgets
    it at once: its next request reads the shared count again."""

    def __init__(self, seconds: float = 1.0, capacity: int = 10_000) -> None:
        self._until: dict[str, float] = {}
        self._seconds, self._capacity = seconds, capacity

    def __contains__(self, address: str) -> bool:
        return self._until.get(address, 0.0) > time.monotonic()

    def add(self, address: str) -> None:
        if len(self._until) >= self._capacity:
            self._until.clear()
        self._until[address] = time.monotonic() + self._seconds

    def forget(self, address: str) -> None:
        self._until.pop(address, None)


class FailureLimitMiddleware:
    """Applies to bearer-authenticated routes and to routes marked `opt={"signed": True}`."""

    def __init__(self, app: ASGIApp, limiter: Limiter) -> None:
        self.app, self.limiter, self.cleared = app, limiter, Cleared()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        address = source_address(scope)
        if address not in self.cleared:
            verdict = await self.limiter.check("auth_failures", "auth_failures", address)
            if not verdict.allowed:
                await reject(
                    scope,
                    receive,
                    send,
                    verdict,
                    "auth_failures",
                    "too many failed authentications",
                )
                return
            self.cleared.add(address)
        await self._watch(scope, receive, send, address)

    def _applies(self, scope: Scope) -> bool:
        if scope["type"] != ScopeType.HTTP or not self.limiter.enabled("auth_failures"):
            return False
        opt = scope["route_handler"].opt
        return bool(opt.get("signed") or not opt.get("exclude_from_auth"))

    async def _watch(self, scope: Scope, receive: Receive, send: Send, address: str) -> None:
        status = 0

        async def watching(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watching)
        except LiveError as exc:  # the bearer middleware raises; the outer handler renders
            status = exc.status
            raise
        finally:
            if status == 401:
                self.cleared.forget(address)
                await self.limiter.hit("auth_failures", "auth_failures", address)


async def reject(
    scope: Scope, receive: Receive, send: Send, verdict: Verdict, budget: str, why: str
) -> None:
    """Every 429 leaves through here."""
    metrics.RATE_LIMITED.labels(budget).inc()
    seconds = whole_seconds(verdict.retry_after)
    error = RateLimited(
        f"rate limited: {why}; retry in {seconds} s",
        retry_after=seconds,
        retry_after_ms=max(1, round(verdict.retry_after * 1000)),
    )
    request: Request[Any, Any, Any] = Request(scope, receive)
    response = handle_exception(request, error)
    response.headers.update(_limit_headers(verdict.limit, seconds))
    await response.to_asgi_response(None, request)(scope, receive, send)


def _limit_headers(limit: int, seconds: int) -> dict[str, str]:
    values = {"Limit": str(limit), "Remaining": "0", "Reset": str(seconds)}
    headers = {f"RateLimit-{name}": value for name, value in values.items()}
    headers.update({f"X-RateLimit-{name}": value for name, value in values.items()})
    headers["RateLimit-Policy"] = f"{limit};w=60"
    return headers
