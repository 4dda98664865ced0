"""Keyset pages for every list: the page size, the cursor's position, the next cursor."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from loop_live.platform.cursor import CursorCodec
from loop_live.platform.errors import ValidationFailed

DEFAULT_LIMIT, MAX_LIMIT = 20, 100


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
