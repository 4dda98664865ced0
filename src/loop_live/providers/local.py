"""The embedded provider: GetStream's token and webhook formats, signed locally, no network."""

from __future__ import annotations

from loop_live.platform.settings import Settings
from loop_live.providers import base
from loop_live.providers.base import CallState, Token


class LocalProvider:
    name = "local"

    def __init__(self, settings: Settings) -> None:
        self.call_type = settings.stream_call_type
        self.api_key = settings.stream_api_key or "loop-live-local"
        self._secret = settings.stream_api_secret.get_secret_value()

    async def ensure_call(self, call_id: str, created_by: str, custom: dict[str, str]) -> None:
        return None

    async def end_call(self, call_id: str) -> None:
        return None

    async def call_state(self, call_id: str) -> CallState | None:
        return None

    def user_token(self, user_id: str, ttl: int, call_cid: str, role: str) -> Token:
        return base.call_token(self._secret, user_id, ttl, call_cid, role)

    def signature_valid(self, body: bytes, signature: str) -> bool:
        return base.signature_valid(self._secret, body, signature)

    async def close(self) -> None:
        return None
