"""One unit of work per request. A write is a transaction holding the change, its audit row,
its outbox event and its idempotency record, committed together or not at all; a read is one
read connection. Either way the route is one call: `read(request, query)` or
`mutate(request, change)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import msgspec
from litestar import Response

from loop_live.platform import http, idempotency, logs, observe
from loop_live.platform.auth import Principal
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Connection, Database
from loop_live.platform.journal import Actor
from loop_live.platform.runtime import Runtime

# A change takes (conn, actor), or (conn, actor, prepared) when `before` prepared something.
Change = Callable[..., Awaitable[Any]]
Query = Callable[[Connection, Actor], Awaitable[Any]]
# Runs before the transaction opens (a provider call), so a slow provider holds no locks.
Before = Callable[[Database, Actor], Awaitable[Any]]
Then = Callable[[Any], Awaitable[Any]]
Reveal = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """A change's result when its status code depends on what happened (e.g. 200 vs 201)."""

    body: Any
    status: int


@dataclass(frozen=True, slots=True)
class Sealed:
    """A result with a secret part (a provider token) that is never stored (SPEC §11).

    Only `body` (the public fields) and `grant` (what the secret is derived from, itself no
    secret) are kept under an Idempotency-Key; the route's `reveal(grant)` adds the secret
    fields to every response, the first and each replay, so a replay gets a fresh secret.
    """

    body: dict[str, Any]
    grant: dict[str, Any]


class _Kept(msgspec.Struct):
    body: dict[str, Any]
    grant: dict[str, Any]


def request_id(request: http.AnyRequest) -> str:
    """The id the request's log lines and `X-Request-Id` response header carry."""
    context = logs.current()
    return context.request_id if context else observe.request_id(request.scope)


def _actor(request: http.AnyRequest, brand: str | None) -> Actor:
    principal: Principal = request.user
    return Actor(principal, brand or http.brand(request), request_id(request), utcnow())


async def read(
    request: http.AnyRequest, query: Query, *, brand: str | None = None, then: Then | None = None
) -> Response[Any]:
    """Run `query` on a read connection and render its result; `then` runs on the result
    after the connection is released (a provider call)."""
    runtime: Runtime = request.app.state.runtime
    actor = _actor(request, brand)
    async with runtime.db.read() as conn:
        result = await query(conn, actor)
    if then is not None:
        result = await then(result)
    return http.json_response(result)


async def mutate(
    request: http.AnyRequest,
    change: Change,
    *,
    status: int = 200,
    brand: str | None = None,
    before: Before | None = None,
    reveal: Reveal | None = None,
) -> Response[Any]:
    """Run `change` in a write transaction and render its result, honouring Idempotency-Key.

    The brand is the one the request names (token, header), unless the body named it. With
    `before`, its result is the change's third argument. A change returning `Sealed` needs
    `reveal`.
    """
    runtime: Runtime = request.app.state.runtime
    actor = _actor(request, brand)
    prepared = () if before is None else (await before(runtime.db, actor),)
    actor = replace(actor, now=utcnow()) if before is not None else actor
    key = request.headers.get("idempotency-key")
    owner = f"{actor.brand}/{actor.subject}"
    async with runtime.db.write() as conn:
        if key is not None:
            fingerprint = idempotency.request_hash(
                request.method, request.url.path, await request.body()
            )
            stored = await idempotency.claim(
                conn, owner, idempotency.check_key(key), actor.brand, fingerprint, actor.now
            )
            if stored is not None:
                return _respond(_replay(stored.body, reveal), stored.status, replayed=True)
        result = await change(conn, actor, *prepared)
        if isinstance(result, Outcome):
            result, status = result.body, result.status
        kept, body = _encode(result, reveal)
        if key is not None:
            await idempotency.save(conn, owner, key, status, kept)
    return _respond(body, status)


def _encode(result: Any, reveal: Reveal | None) -> tuple[bytes, bytes]:
    """What the idempotency record keeps, and what the client gets."""
    if not isinstance(result, Sealed):
        body = msgspec.json.encode(result)
        return body, body
    if reveal is None:
        raise TypeError("a change returning Sealed needs mutate(..., reveal=...)")
    kept = msgspec.json.encode(_Kept(result.body, result.grant))
    return kept, msgspec.json.encode({**result.body, **reveal(result.grant)})


def _replay(stored: bytes, reveal: Reveal | None) -> bytes:
    if reveal is None:
        return stored
    try:
        kept = msgspec.json.decode(stored, type=_Kept)
    except msgspec.DecodeError:  # written before tokens were sealed; gone within 24 h
        return stored
    return msgspec.json.encode({**kept.body, **reveal(kept.grant)})


def _respond(body: bytes, status: int, *, replayed: bool = False) -> Response[Any]:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return http.raw_response(body, status, headers)
