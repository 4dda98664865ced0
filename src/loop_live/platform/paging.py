"""Keyset pages for every list: the page size, the cursor's position, the next cursor."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar.params import QueryParameter

from loop_live.platform.cursor import CursorCodec
from loop_live.platform.errors import ValidationFailed

DEFAULT_LIMIT, MAX_LIMIT = 20, 100

# As the OpenAPI document states them: the rules `page_limit` and `position` apply.
Limit = Annotated[
    int | None, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size, 1..100 (default 20).")
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^[A-Za-z0-9_-]{1,512}\.[A-Za-z0-9_-]{16}$",
        description="Opaque: the `next_cursor` of a previous page. Any other value is 400.",
    ),
]


def invalid(parameter: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{parameter}: {message}", parameter=parameter)


def page_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def position(cursor: str | None, cursors: CursorCodec) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    position = cursors.decode(cursor)
    try:
        at, row_id = position
        return datetime.fromisoformat(at), uuid.UUID(row_id)
    except (TypeError, ValueError):
        raise invalid("cursor", "not a cursor this service issued") from None


def next_cursor(
    cursors: CursorCodec, rows: list[Any], limit: int, at: str = "scheduled_at"
) -> str | None:
    """`rows` holds up to limit+1 rows, ordered by (`at`, id); a surplus row means more."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return cursors.encode([last[at].isoformat(), str(last["id"])])
