"""Token verification in the three modes of SPEC §6: dev (HS256), jwt (JWKS), introspect."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any, Protocol

import httpx
import jwt

from loop_live.platform.auth.principal import Principal
from loop_live.platform.auth.verified import VerifiedTokens
from loop_live.platform.errors import InvalidToken, Unauthenticated, Unavailable
from loop_live.platform.settings import Settings

_LEEWAY_SECONDS = 30
_REFETCH_SECONDS = 5


class Verifier(Protocol):
    async def verify(self, token: str) -> Principal: ...


def mint_dev_token(
    secret: str, subject: str, scopes: list[str], brand: str | None = None, ttl: int = 3600
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "scope": " ".join(scopes),
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    if brand is not None:
        claims["brand"] = brand
    return jwt.encode(claims, secret, algorithm="HS256")


def _decode_failure(exc: jwt.PyJWTError) -> Exception:
    if isinstance(exc, jwt.DecodeError) and not isinstance(exc, jwt.InvalidSignatureError):
        return Unauthenticated("bearer token is not a readable JWT")
    if isinstance(exc, jwt.ExpiredSignatureError):
        return InvalidToken("token has expired")
    return InvalidToken(f"token rejected: {exc}")


class DevVerifier:
    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._verified = VerifiedTokens(_LEEWAY_SECONDS)

    async def verify(self, token: str) -> Principal:
        if (known := self._verified.get(token)) is not None:
            return known
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                options={"require": ["exp", "sub"]},
                leeway=_LEEWAY_SECONDS,
            )
        except jwt.PyJWTError as exc:
            raise _decode_failure(exc) from exc
        return self._verified.keep(token, claims, Principal.from_claims(claims))


class JwksVerifier:
    """RS256/ES256 tokens checked against the identity service's published keys (cached)."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        if not settings.jwt_jwks_url:
            raise ValueError("LIVE_AUTH_MODE=jwt needs LIVE_JWT_JWKS_URL")
        self._url = settings.jwt_jwks_url
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._ttl = settings.jwks_cache_seconds
        self._http = http
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = self._attempted_at = float("-inf")
        self._verified = VerifiedTokens(_LEEWAY_SECONDS)

    async def verify(self, token: str) -> Principal:
        # Only while the key set that verified them is current: a retired key's tokens stop
        # working when the key set expires, as they would without the cache.
        fresh = time.monotonic() - self._fetched_at <= self._ttl
        if fresh and (known := self._verified.get(token)) is not None:
            return known
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _decode_failure(exc) from exc
        key = await self._key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256", "ES256"],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
                leeway=_LEEWAY_SECONDS,
            )
        except jwt.PyJWTError as exc:
            raise _decode_failure(exc) from exc
        return self._verified.keep(token, claims, Principal.from_claims(claims))

    async def _key(self, kid: str) -> jwt.PyJWK:
        now = time.monotonic()
        stale = now - self._fetched_at > self._ttl
        # Refetch when stale, or for an unknown kid (perhaps a freshly rotated key), but at most
        # every few seconds: neither an outage nor a stream of bogus kids may hammer the JWKS.
        if (stale or kid not in self._keys) and now - self._attempted_at >= _REFETCH_SECONDS:
            await self._refresh()
        elif stale and not self._keys:
            raise Unavailable("identity keys are unreachable")
        key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("token signed with an unknown key")
        return key

    async def _refresh(self) -> None:
        self._attempted_at = time.monotonic()
        try:
            response = await self._http.get(self._url)
            response.raise_for_status()
            entries = response.json()["keys"]
            if not isinstance(entries, list):
                raise ValueError("the JWKS 'keys' member is not a list")
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            if self._keys:
                return
            raise Unavailable("identity keys are unreachable") from exc
        keys = {}
        for jwk in entries:
            if not isinstance(jwk, dict):
                continue
            try:
                parsed = jwt.PyJWK(jwk)
            except jwt.PyJWTError:
                continue
            keys[str(jwk.get("kid", ""))] = parsed
        self._keys, self._fetched_at = keys, time.monotonic()
        self._verified.clear()


class IntrospectionVerifier:
    """RFC 7662: the identity service says whether a token is active; answers cached briefly."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        if not settings.introspect_url:
            raise ValueError("LIVE_AUTH_MODE=introspect needs LIVE_INTROSPECT_URL")
        self._url = settings.introspect_url
        secret = settings.introspect_client_secret
        self._auth = (
            (settings.introspect_client_id or "", secret.get_secret_value()) if secret else None
        )
        self._ttl = settings.introspect_cache_seconds
        self._http = http
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def verify(self, token: str) -> Principal:
        digest = hashlib.sha256(token.encode()).hexdigest()
        cached = self._cache.get(digest)
        now = time.monotonic()
        if cached is None or cached[0] <= now:
            cached = await self._introspect(token, now)
            self._cache[digest] = cached
            if len(self._cache) > 10_000:
                self._evict(now)
        if cached[1] is None:
            raise InvalidToken("token is not active (expired or revoked)")
        return cached[1]

    async def _introspect(self, token: str, now: float) -> tuple[float, Principal | None]:
        try:
            response = await self._http.post(
                self._url,
                data={"token": token, "token_type_hint": "access_token"},
                auth=self._auth or httpx.USE_CLIENT_DEFAULT,
            )
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unavailable("token introspection is unreachable") from exc
        if not isinstance(body, dict) or body.get("active") is not True:
            return now + self._ttl, None
        exp = body.get("exp")
        expires_in = exp - time.time() if isinstance(exp, int | float) else self._ttl
        return now + max(0.0, min(self._ttl, expires_in)), Principal.from_claims(body)

    def _evict(self, now: float) -> None:
        for digest in [d for d, (until, _) in self._cache.items() if until <= now]:
            del self._cache[digest]


def build_verifier(settings: Settings, http: httpx.AsyncClient) -> Verifier:
    if settings.auth_mode == "jwt":
        return JwksVerifier(settings, http)
    if settings.auth_mode == "introspect":
        return IntrospectionVerifier(settings, http)
    return DevVerifier(settings.auth_secret.get_secret_value())
