"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from loop_live.platform import http
from loop_live.platform.db import DatabaseUnavailable
from loop_live.platform.errors import Unavailable

PUBLIC = {"exclude_from_auth": True}


@get("/healthz", opt=PUBLIC, tags=["health"])
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/readyz", opt=PUBLIC, tags=["health"], responses=http.errors(503))
async def readyz(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The database answers, on the check's own connection (not a pool slot), within a bound."""
    try:
        await http.runtime(request).db.ping()
    except DatabaseUnavailable as exc:
        raise Unavailable("database is unreachable", retry_after=exc.retry_after) from None
    return {"status": "ready"}


handlers = [healthz, readyz]
