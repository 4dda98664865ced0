"""All SQL about calendar feeds and the sessions a feed shows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from loop_live.platform.db import Connection, Row, Sql

FEED_LIMIT = 500
_EVENT_COLUMNS = (
    "s.id, s.title, s.description, s.status, s.scheduled_at, s.ends_at, s.sequence,"
    " s.created_at, s.updated_at, s.series_id"
)
_FEED_COLUMNS = "id, brand_id, owner, kind, value, created_at"
_INSERT = Sql(
    "INSERT INTO calendar_feeds (id, brand_id, owner, kind, value, token_hash, created_at)"
    " VALUES (:id, :brand_id, :owner, :kind, :value, :token_hash, :created_at)"
)
_LIST = Sql(
    f"SELECT {_FEED_COLUMNS} FROM calendar_feeds WHERE brand_id = :brand AND owner = :owner"
    " ORDER BY created_at, id"
)
_DELETE = Sql("DELETE FROM calendar_feeds WHERE id = :id AND brand_id = :brand AND owner = :owner")
_BY_HASH = Sql(f"SELECT {_FEED_COLUMNS} FROM calendar_feeds WHERE token_hash = :token_hash")
_ONE = Sql(f"SELECT {_EVENT_COLUMNS} FROM sessions s WHERE s.id = :id AND s.brand_id = :brand")
_WINDOW = " AND s.ends_at > :since ORDER BY s.scheduled_at, s.id LIMIT :limit"
_BY_KIND = {
    "brand": Sql(f"SELECT {_EVENT_COLUMNS} FROM sessions s WHERE s.brand_id = :brand" + _WINDOW),
    "host": Sql(
        f"SELECT {_EVENT_COLUMNS} FROM sessions s WHERE s.brand_id = :brand"
        " AND s.host_id = :value" + _WINDOW
    ),
    "community": Sql(
        f"SELECT {_EVENT_COLUMNS} FROM sessions s WHERE s.brand_id = :brand"
        " AND s.community_slug = :value" + _WINDOW
    ),
    "mine": Sql(
        f"SELECT {_EVENT_COLUMNS} FROM sessions s JOIN registrations r ON r.session_id = s.id"
        " WHERE s.brand_id = :brand AND r.user_id = :owner AND r.status <> 'cancelled'" + _WINDOW
    ),
}


async def insert_feed(conn: Connection, feed: dict[str, object], token_hash: str) -> None:
    await conn.execute(_INSERT, {**feed, "token_hash": token_hash})


async def feeds(conn: Connection, brand: str, owner: str) -> Sequence[Row]:
    return await conn.fetch(_LIST, {"brand": brand, "owner": owner})


async def delete_feed(conn: Connection, brand: str, owner: str, feed_id: uuid.UUID) -> bool:
    return await conn.execute(_DELETE, {"id": feed_id, "brand": brand, "owner": owner}) == 1


async def feed_by_hash(conn: Connection, token_hash: str) -> Row | None:
    return await conn.fetchrow(_BY_HASH, {"token_hash": token_hash})


async def one_session(conn: Connection, brand: str, session_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow(_ONE, {"id": session_id, "brand": brand})


async def feed_sessions(conn: Connection, feed: Row, since: datetime) -> Sequence[Row]:
    params = {"brand": feed["brand_id"], "since": since, "limit": FEED_LIMIT}
    if feed["kind"] in ("host", "community"):
        params["value"] = feed["value"]
    if feed["kind"] == "mine":
        params["owner"] = feed["owner"]
    return await conn.fetch(_BY_KIND[feed["kind"]], params)
