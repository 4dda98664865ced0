"""Calendar feeds: revocable, unguessable addresses calendar apps can poll without a token.

A feed's token is an HMAC of its id under the server's key: it is never stored (only its
SHA-256, to find the feed) and is derived again for each response, so an Idempotency-Key
replay shows the same address while the idempotency record holds no secret (SPEC §11).
Deleting the row revokes it; the address says nothing about its owner, brand or kind.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec

from loop_live.calendars import ics
from loop_live.calendars import repository as repo
from loop_live.platform import journal
from loop_live.platform.db import Connection, Row
from loop_live.platform.errors import NotFound, ValidationFailed
from loop_live.platform.journal import Actor
from loop_live.platform.uow import Sealed

FeedKind = Literal["brand", "host", "community", "mine"]
PAST = timedelta(days=7)  # recently ended or cancelled sessions stay so calendars update them
_NEEDS_VALUE = ("host", "community")


Value = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class _Feed(msgspec.Struct, tag_field="kind", forbid_unknown_fields=True, kw_only=True):
    pass


class BrandFeed(_Feed, tag="brand"):
    """The brand's sessions."""


class MineFeed(_Feed, tag="mine"):
    """The sessions you hold a registration for."""


class HostFeed(_Feed, tag="host"):
    value: Value  # the host's id


class CommunityFeed(_Feed, tag="community"):
    value: Value  # the community's slug


FeedCreate = BrandFeed | MineFeed | HostFeed | CommunityFeed


def kind_and_value(body: FeedCreate) -> tuple[FeedKind, str | None]:
    kind: FeedKind = type(body).__struct_config__.tag  # type: ignore[assignment]
    return kind, getattr(body, "value", None)


def token_for(key: str, feed_id: str) -> str:
    digest = hmac.new(key.encode(), f"calendar-feed:{feed_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def list_feeds(conn: Connection, actor: Actor) -> dict[str, Any]:
    """The caller's feeds in this brand, without their addresses."""
    rows = await repo.feeds(conn, actor.brand, actor.subject)
    return {"feeds": [feed_json(row) for row in rows]}


def feed_json(row: Row | dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        "value": row["value"],
        "created_at": row["created_at"],
    }


async def create(conn: Connection, actor: Actor, kind: str, value: str | None, key: str) -> Sealed:
    _check_value(kind, value)
    feed = {
        "id": uuid.uuid4(),
        "brand_id": actor.brand,
        "owner": actor.subject,
        "kind": kind,
        "value": value,
        "created_at": actor.now,
    }
    await repo.insert_feed(conn, feed, token_hash(token_for(key, str(feed["id"]))))
    await journal.record(
        conn, actor, action="calendar_feed.create", entity=("calendar_feed", str(feed["id"])),
        details={"kind": kind},
    )  # fmt: skip
    return Sealed(feed_json(feed), {"id": str(feed["id"])})


def _check_value(kind: str, value: str | None) -> None:
    if kind in _NEEDS_VALUE and not value:
        raise ValidationFailed(f"value: a {kind} feed names its {kind}", field="value")
    if kind not in _NEEDS_VALUE and value is not None:
        raise ValidationFailed(f"value: a {kind} feed takes no value", field="value")


async def revoke(conn: Connection, actor: Actor, raw_id: str) -> dict[str, Any]:
    feed_id = _parse(raw_id)
    if feed_id is None or not await repo.delete_feed(conn, actor.brand, actor.subject, feed_id):
        raise NotFound("calendar feed not found")
    await journal.record(
        conn, actor, action="calendar_feed.revoke", entity=("calendar_feed", raw_id), details={}
    )
    return {"id": raw_id, "revoked": True}


async def render_feed(conn: Connection, name: str, now: datetime, join_url_template: str) -> bytes:
    token = name.removesuffix(".ics")
    feed = None if token == name else await repo.feed_by_hash(conn, token_hash(token))
    if feed is None:
        raise NotFound("calendar feed not found")
    rows = await repo.feed_sessions(conn, feed, now - PAST)
    title = f"{feed['kind']} sessions" if feed["kind"] != "mine" else "my sessions"
    return ics.render_cached(rows, title, join_url_template)


async def render_session(
    conn: Connection, brand: str, raw_id: str, join_url_template: str
) -> bytes:
    session_id = _parse(raw_id)
    row = None if session_id is None else await repo.one_session(conn, brand, session_id)
    if row is None:
        raise NotFound("session not found")
    return ics.render([row], row["title"], join_url_template)


def _parse(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None
