"""One unit of work per mutating request: a transaction holding the change, its audit row,
its outbox event and its idempotency record, committed together or not at all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request, Response

from loop_live.platform import http, idempotency, logs, observe
from loop_live.platform.auth import Principal
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Connection
from loop_live.platform.journal import Actor
from loop_live.platform.runtime import Runtime

Change = Callable[[Connection, Actor], Awaitable[Any]]
JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A change's result when its status code depends on what happened (e.g. 200 vs 201)."""

    body: Any
    status: int


def request_id(request: Request[Any, Any, Any]) -> str:
    """The id the request's log lines and `X-Request-Id` response header carry."""
    context = logs.current()
    return context.request_id if context else observe.request_id(request.scope)


async def mutate(
    request: Request[Any, Any, Any], change: Change, *, status: int = 200, brand: str | None = None
) -> Response[Any]:
    """Run `change` in a write transaction and render its result, honouring Idempotency-Key.

    The brand is the one the request names (token, header), unless the body named it.
    """
    runtime: Runtime = request.app.state.runtime
    principal: Principal = request.user
    brand = brand or http.brand(request)
    actor = Actor(principal, brand, request_id(request), utcnow())
    key = request.headers.get("idempotency-key")
    owner = f"{brand}/{principal.subject}"
    async with runtime.db.write() as conn:
        if key is not None:
            fingerprint = idempotency.request_hash(
                request.method, request.url.path, await request.body()
            )
            stored = await idempotency.claim(
                conn, owner, idempotency.check_key(key), brand, fingerprint, actor.now
            )
            if stored is not None:
                return _respond(stored.body, stored.status, replayed=True)
        result = await change(conn, actor)
        if isinstance(result, Outcome):
            result, status = result.body, result.status
        body = msgspec.json.encode(result)
        if key is not None:
            await idempotency.save(conn, owner, key, status, body)
    return _respond(body, status)


def json_response(data: Any, status: int = 200) -> Response[Any]:
    """Encode with msgspec once; the declared response model only documents the shape."""
    return _respond(msgspec.json.encode(data), status)


def _respond(body: bytes, status: int, *, replayed: bool = False) -> Response[Any]:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(body, status_code=status, media_type=JSON, headers=headers)
