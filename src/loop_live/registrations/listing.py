"""The admin registrations list: status filter, keyset pages, total."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loop_live.platform import ids, paging
from loop_live.platform.cursor import CursorCodec
from loop_live.platform.db import Connection
from loop_live.platform.errors import ValidationFailed
from loop_live.platform.journal import Actor
from loop_live.platform.uow import Query
from loop_live.registrations import repository as repo
from loop_live.registrations.repository import registration_json
from loop_live.registrations.vocabulary import STATUSES as STATUSES
from loop_live.sessions import repository as sessions


@dataclass(frozen=True, slots=True)
class RegistrationQuery:
    session_id: str
    status: str | None
    limit: int
    after: tuple[datetime, uuid.UUID] | None


def lister(
    raw_id: str, status: str | None, limit: int | None, cursor: str | None, cursors: CursorCodec
) -> Query:
    """The parameters are checked now, before any connection is taken."""
    query = build(raw_id, status, limit, cursor, cursors)
    return lambda conn, actor: page(conn, actor, query, cursors)


def build(
    raw_id: str, status: str | None, limit: int | None, cursor: str | None, cursors: CursorCodec
) -> RegistrationQuery:
    if status is not None and status not in STATUSES:
        raise ValidationFailed(f"status: must be one of {', '.join(STATUSES)}", parameter="status")
    return RegistrationQuery(
        session_id=raw_id,
        status=status,
        limit=paging.page_limit(limit),
        after=paging.position(cursor, cursors),
    )


async def page(
    conn: Connection, actor: Actor, query: RegistrationQuery, cursors: CursorCodec
) -> dict[str, Any]:
    state = await ids.fetch(
        query.session_id,
        "session",
        lambda session_id: sessions.state(conn, actor.brand, session_id),
    )
    rows = list(await repo.page(conn, state.id, query.status, query.after, query.limit + 1))
    return {
        "registrations": [registration_json(row) for row in rows[: query.limit]],
        "total": await repo.count(conn, state.id, query.status),
        "next_cursor": paging.next_cursor(cursors, rows, query.limit, "registered_at"),
    }
