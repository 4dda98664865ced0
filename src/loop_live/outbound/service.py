"""The rules of webhook subscriptions. Never commits; URL checks (DNS) run before the
transaction opens, so a slow resolver never holds database locks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec

from loop_live.outbound import addresses, delivery_repository, secrets
from loop_live.outbound import repository as repo
from loop_live.outbound.event_types import EventType
from loop_live.outbound.schemas import WebhookCreate, WebhookPatch
from loop_live.platform import ids, journal, paging
from loop_live.platform.cursor import CursorCodec
from loop_live.platform.db import Connection, Row
from loop_live.platform.errors import ValidationFailed
from loop_live.platform.journal import Actor
from loop_live.platform.uow import Sealed

ROTATION_GRACE = timedelta(hours=24)


async def check_url(url: str | msgspec.UnsetType, *, allow_private: bool) -> None:
    if isinstance(url, msgspec.UnsetType):
        return
    try:
        await addresses.target(url, allow_private=allow_private)
    except addresses.AddressRefused as refused:
        raise ValidationFailed(str(refused), parameter="url") from None


def unique(types: list[EventType]) -> list[str]:
    """The types in their first order, once each (the schema already refused unknown ones)."""
    return list(dict.fromkeys(types))


async def find(conn: Connection, brand: str, raw_id: str) -> Row:
    return await ids.fetch(
        raw_id, "webhook subscription", lambda webhook_id: repo.get(conn, brand, webhook_id)
    )


async def read(conn: Connection, actor: Actor, raw_id: str) -> dict[str, Any]:
    return repo.webhook_json(await find(conn, actor.brand, raw_id))


async def list_all(conn: Connection, actor: Actor) -> dict[str, Any]:
    rows = await repo.list_all(conn, actor.brand)
    return {"webhooks": [repo.webhook_json(row) for row in rows]}


async def create(
    conn: Connection, actor: Actor, box: secrets.SecretBox, data: WebhookCreate
) -> Sealed:
    webhook_id = str(uuid.uuid4())
    secret = secrets.new_secret()
    values = {
        "id": uuid.UUID(webhook_id),
        "brand_id": actor.brand,
        "url": data.url,
        "event_types": unique(data.event_types),
        "description": data.description,
        "enabled": True,
        "failing_since": None,
        "created_at": actor.now,
        "updated_at": actor.now,
        "secret": box.seal(secret, webhook_id),
        "previous_secret": None,
        "previous_expires_at": None,
    }
    await repo.insert(conn, values)
    await _audit(conn, actor, "webhook.create", webhook_id, {"event_types": data.event_types})
    return _sealed(await find(conn, actor.brand, webhook_id))


async def update(conn: Connection, actor: Actor, raw_id: str, data: WebhookPatch) -> dict[str, Any]:
    row = await find(conn, actor.brand, raw_id)
    current = repo.webhook_json(row)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if "event_types" in changes:
        changes["event_types"] = unique(changes["event_types"])
    values = {**current, "event_types": repo.event_types(row), **changes}
    if changes.get("enabled") is True and not current["enabled"]:
        values["failing_since"] = None  # a re-enabled endpoint gets a fresh period
    values.update(id=row["id"], updated_at=actor.now)
    await repo.update(conn, values)
    await _audit(conn, actor, "webhook.update", str(row["id"]), {"fields": sorted(changes)})
    return repo.webhook_json(await find(conn, actor.brand, raw_id))


async def remove(conn: Connection, actor: Actor, raw_id: str) -> dict[str, Any]:
    row = await find(conn, actor.brand, raw_id)
    await repo.delete(conn, row["id"])
    await _audit(conn, actor, "webhook.delete", str(row["id"]), {})
    return repo.webhook_json(row)


async def rotate(conn: Connection, actor: Actor, box: secrets.SecretBox, raw_id: str) -> Sealed:
    """A new secret; the old one keeps signing beside it for ROTATION_GRACE."""
    row = await find(conn, actor.brand, raw_id)
    webhook_id = str(row["id"])
    secret = secrets.new_secret()
    values = {
        "secret": box.seal(secret, webhook_id),
        "previous_secret": row["secret"],
        "previous_expires_at": actor.now + ROTATION_GRACE,
        "now": actor.now,
    }
    await repo.rotate(conn, row["id"], values)
    await _audit(conn, actor, "webhook.rotate_secret", webhook_id, {})
    return _sealed(await find(conn, actor.brand, raw_id))


def _sealed(row: Row) -> Sealed:
    """The secret leaves only through `reveal`: an Idempotency-Key record keeps it encrypted."""
    return Sealed(repo.webhook_json(row), {"id": str(row["id"]), "sealed": row["secret"]})


def reveal(box: secrets.SecretBox, granted: dict[str, Any]) -> dict[str, Any]:
    return {"secret": box.open(granted["sealed"], granted["id"])}


@dataclass(frozen=True, slots=True)
class Page:
    limit: int | None
    cursor: str | None


async def deliveries(
    conn: Connection, actor: Actor, raw_id: str, cursors: CursorCodec, page: Page
) -> dict[str, Any]:
    """Newest first; `next_cursor` continues after the last row of a full page."""
    row = await find(conn, actor.brand, raw_id)
    limit = paging.page_limit(page.limit)
    after = paging.position(page.cursor, cursors)
    rows = list(await repo.deliveries(conn, row["id"], limit + 1, after))
    return {
        "deliveries": [repo.delivery_json(r) for r in rows[:limit]],
        "next_cursor": paging.next_cursor(cursors, rows, limit, "created_at"),
    }


async def redeliver(
    conn: Connection, actor: Actor, raw_id: str, raw_delivery: str
) -> dict[str, Any]:
    row = await find(conn, actor.brand, raw_id)
    done = await ids.fetch(
        raw_delivery,
        "delivery",
        lambda delivery_id: repo.redeliver(conn, row["id"], delivery_id, actor.now),
    )
    await delivery_repository.resume(conn, row["id"])  # an operator asked for it now
    await _audit(conn, actor, "webhook.redeliver", str(row["id"]), {"delivery_id": raw_delivery})
    return repo.delivery_json(done)


async def _audit(
    conn: Connection, actor: Actor, action: str, webhook_id: str, details: dict[str, Any]
) -> None:
    await journal.record(
        conn, actor, action=action, entity=("webhook", webhook_id), details=details
    )
