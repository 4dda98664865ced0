"""What every request must satisfy before its handler runs: a plain query string, a sound body."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request

from loop_live.platform.errors import ValidationFailed
from loop_live.platform.strict_body import check_body


async def check_request(request: Request[Any, Any, Any]) -> None:
    check_query(request)
    await check_body(request)


def check_query(request: Request[Any, Any, Any]) -> None:
    """A parameter given twice is ambiguous (the framework would keep one silently), and NUL
    cannot reach PostgreSQL text."""
    raw: bytes = request.scope.get("query_string", b"")
    if not raw:
        return
    items = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    if len({name for name, _ in items}) < len(items):
        twice = next(name for name, count in Counter(n for n, _ in items).items() if count > 1)
        raise _invalid(twice, "given more than once; send it once")
    for name, value in items:
        if "\x00" in name or "\x00" in value:
            raise _invalid(name.replace("\x00", ""), "must not contain NUL characters")


def _invalid(parameter: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{parameter}: {message}", parameter=parameter)
