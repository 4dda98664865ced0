"""Tokens already verified, kept until they expire: a signature is checked once per token, not
once per request (PyJWT's HS256 decode was an eighth of a list request's CPU)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from cachetools import TLRUCache

from loop_live.platform.auth.principal import Principal

_SIZE = 10_000


class VerifiedTokens:
    """A bounded cache of token → principal. An entry lives until the token's `exp` plus the
    leeway the verifier granted (a token without `exp` is never verified, see SPEC §6). Only
    successes are kept, so a token that was not yet valid (`nbf`) is checked again next time.
    A verifier whose keys can change clears it when they do."""

    def __init__(self, leeway: float) -> None:
        self._leeway = leeway
        self._entries: TLRUCache[str, tuple[float, Principal]] = TLRUCache(
            maxsize=_SIZE, ttu=lambda _key, value, _now: value[0], timer=time.time
        )

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        return None if entry is None else entry[1]

    def keep(self, token: str, claims: Mapping[str, Any], principal: Principal) -> Principal:
        exp = claims.get("exp")
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            until = float(exp) + self._leeway
            if until > time.time():
                self._entries[token] = (until, principal)
        return principal

    def clear(self) -> None:
        self._entries.clear()
