"""Resource ids in paths: a malformed id is simply a resource that does not exist (404)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from loop_live.platform.errors import NotFound

T = TypeVar("T")


def parse_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


async def fetch(raw_id: str, what: str, find: Callable[[uuid.UUID], Awaitable[T | None]]) -> T:
    """`find(id)`, or `NotFound("<what> not found")` when the id is malformed or unknown."""
    parsed = parse_id(raw_id)
    found = None if parsed is None else await find(parsed)
    if found is None:
        raise NotFound(f"{what} not found")
    return found
