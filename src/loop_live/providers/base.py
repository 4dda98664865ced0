"""What the service needs from a video provider, and the helpers every provider shares."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any, Protocol

import jwt


@dataclass(frozen=True, slots=True)
class CallState:
    is_live: bool
    current_session_id: str | None
    ended_at: str | None


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    expires_at: int


class VideoProvider(Protocol):
    name: str
    call_type: str
    api_key: str

    async def ensure_call(self, call_id: str, created_by: str, custom: dict[str, str]) -> None:
        """Create the call if it does not exist yet (idempotent)."""
        ...

    async def end_call(self, call_id: str) -> None: ...
    async def call_state(self, call_id: str) -> CallState | None: ...
    def user_token(self, user_id: str, ttl: int, call_cid: str, role: str) -> Token: ...
    def signature_valid(self, body: bytes, signature: str) -> bool: ...
    async def close(self) -> None: ...


def cid(call_type: str, call_id: str) -> str:
    """The provider's call identifier, as its webhooks carry it in `call_cid`."""
    return f"{call_type}:{call_id}"


def grant(user_id: str, call_cid: str, role: str, ttl: int) -> dict[str, Any]:
    """What a user token is minted from: kept instead of the token where a response is stored."""
    return {"user_id": user_id, "call_cid": call_cid, "role": role, "ttl": ttl}


def mint(provider: VideoProvider, granted: dict[str, Any]) -> Token:
    return provider.user_token(
        granted["user_id"], granted["ttl"], granted["call_cid"], granted["role"]
    )


def call_token(secret: str, user_id: str, ttl: int, call_cid: str, role: str) -> Token:
    """A user JWT in GetStream's format: `user_id`, `call_cids`, `role`, `iat`, `exp`."""
    now = int(time.time())
    claims = {
        "user_id": user_id,
        "call_cids": [call_cid],
        "role": role,
        "iat": now - 5,
        "exp": now + ttl,
    }
    return Token(jwt.encode(claims, secret, algorithm="HS256"), now + ttl)


def signature(secret: str, body: bytes) -> str:
    """GetStream's webhook signature: hex HMAC-SHA256 of the raw body, keyed by the secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, given: str) -> bool:
    return hmac.compare_digest(signature(secret, body), given.strip().lower())
