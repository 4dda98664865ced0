"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from loop_live.platform import http
from loop_live.platform.errors import Unavailable

PUBLIC = {"exclude_from_auth": True}


@get("/healthz", opt=PUBLIC, tags=["health"])
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/readyz", opt=PUBLIC, tags=["health"], responses=http.errors(503))
async def readyz(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The database answers."""
    try:
        await http.runtime(request).db.ping()
    except Exception as exc:
        raise Unavailable("database is unreachable") from exc
    return {"status": "ready"}


handlers = [healthz, readyz]
