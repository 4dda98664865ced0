"""GetStream Video through the official SDK, behind a timeout and a circuit breaker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from getstream import AsyncStream, StreamException
from getstream.models import CallRequest

from loop_live.platform.errors import ProviderError, ProviderNotConfigured
from loop_live.platform.settings import DEV_STREAM_SECRET, Settings
from loop_live.providers import base
from loop_live.providers.base import CallState, Token
from loop_live.providers.breaker import CircuitBreaker

T = TypeVar("T")


class GetStreamProvider:
    name = "getstream"

    def __init__(self, settings: Settings) -> None:
        self.call_type = settings.stream_call_type
        self.api_key = settings.stream_api_key or ""
        self._secret = settings.stream_api_secret.get_secret_value()
        self._timeout = settings.stream_timeout_seconds
        self._breaker = CircuitBreaker()
        self._client: AsyncStream | None = None
        if self.api_key and self._secret != DEV_STREAM_SECRET:
            options: dict[str, Any] = {"timeout": self._timeout, "connect_timeout": self._timeout}
            if settings.stream_base_url:
                options["base_url"] = settings.stream_base_url
            self._client = AsyncStream(api_key=self.api_key, api_secret=self._secret, **options)

    def _configured(self) -> AsyncStream:
        if self._client is None:
            raise ProviderNotConfigured(
                "GetStream is selected but LIVE_STREAM_API_KEY/LIVE_STREAM_API_SECRET are not set"
            )
        return self._client

    async def _guarded(self, operation: Callable[[], Awaitable[T]]) -> T:
        async def attempt() -> T:
            try:
                async with asyncio.timeout(self._timeout):
                    return await operation()
            except TimeoutError:
                raise ProviderError("video provider timed out") from None
            # The SDK raises a bare KeyError for a JSON error body that is not Stream's format.
            except (StreamException, KeyError) as exc:
                raise ProviderError(f"video provider failed: {type(exc).__name__}") from exc

        return await self._breaker.call(attempt)

    async def ensure_call(self, call_id: str, created_by: str, custom: dict[str, str]) -> None:
        call = self._configured().video.call(self.call_type, call_id)
        data = CallRequest(created_by_id=created_by, custom=dict(custom))
        await self._guarded(lambda: call.get_or_create(data=data))

    async def end_call(self, call_id: str) -> None:
        call = self._configured().video.call(self.call_type, call_id)
        await self._guarded(call.end)

    async def call_state(self, call_id: str) -> CallState | None:
        if self._client is None:
            return None  # best effort: the stored call still answers
        call = self._client.video.call(self.call_type, call_id)
        try:
            response = await self._guarded(call.get)
        except ProviderError:
            return None
        remote = response.data.call
        ended = remote.ended_at.isoformat() if remote.ended_at else None
        session = remote.current_session_id or None
        return CallState(
            is_live=bool(session) and ended is None, current_session_id=session, ended_at=ended
        )

    def user_token(self, user_id: str, ttl: int, call_cid: str, role: str) -> Token:
        issued = int(time.time())
        value = self._configured().create_call_token(
            user_id, call_cids=[call_cid], role=role, expiration=ttl
        )
        return Token(value, issued + ttl)

    def signature_valid(self, body: bytes, signature: str) -> bool:
        self._configured()
        return base.signature_valid(self._secret, body, signature)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
