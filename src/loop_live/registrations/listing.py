"""The admin registrations list: status filter, keyset pages, total."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loop_live.platform.cursor import CursorCodec
from loop_live.platform.db import Connection
from loop_live.platform.errors import NotFound, ValidationFailed
from loop_live.registrations import repository as repo
from loop_live.registrations.repository import registration_json
from loop_live.registrations.vocabulary import STATUSES as STATUSES
from loop_live.sessions import listing as session_listing
from loop_live.sessions import repository as sessions


@dataclass(frozen=True, slots=True)
class RegistrationQuery:
    session_id: uuid.UUID | None
    status: str | None
    limit: int
    after: tuple[datetime, uuid.UUID] | None


def build(
    raw_id: str, status: str | None, limit: int | None, cursor: str | None, cursors: CursorCodec
) -> RegistrationQuery:
    if status is not None and status not in STATUSES:
        raise ValidationFailed(f"status: must be one of {', '.join(STATUSES)}", parameter="status")
    return RegistrationQuery(
        session_id=sessions.parse_id(raw_id),
        status=status,
        limit=session_listing.page_limit(limit),
        after=session_listing.position(cursor, cursors),
    )


async def page(
    conn: Connection, brand: str, query: RegistrationQuery, cursors: CursorCodec
) -> dict[str, Any]:
    found = (
        None if query.session_id is None else await sessions.state(conn, brand, query.session_id)
    )
    if found is None or query.session_id is None:
        raise NotFound("session not found")
    rows = list(await repo.page(conn, query.session_id, query.status, query.after, query.limit + 1))
    return {
        "registrations": [registration_json(row) for row in rows[: query.limit]],
        "total": await repo.count(conn, query.session_id, query.status),
        "next_cursor": session_listing.next_cursor(cursors, rows, query.limit, "registered_at"),
    }
