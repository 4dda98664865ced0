"""Webhook subscription and delivery bodies, as published for `/v1/admin/webhooks`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from loop_live.outbound.event_types import EventType
from loop_live.platform.instants import Body

Url = Annotated[str, Meta(min_length=1, max_length=2048, pattern="^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]")]
EventTypes = Annotated[list[EventType], Meta(max_length=50)]
Description = Annotated[str, Meta(max_length=1000)]
DeliveryStatus = Literal["pending", "delivered", "failed", "dead"]


class WebhookCreate(Body, forbid_unknown_fields=True, kw_only=True):
    url: Url
    event_types: EventTypes = msgspec.field(default_factory=list)  # [] = every type
    description: Description | None = None


class WebhookPatch(Body, forbid_unknown_fields=True, kw_only=True):
    url: Url | UnsetType = UNSET
    event_types: EventTypes | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET


class Webhook(msgspec.Struct, kw_only=True):
    id: str
    brand_id: str
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(Webhook, kw_only=True):
    secret: str  # shown in this response only


class WebhookList(msgspec.Struct, kw_only=True):
    webhooks: list[Webhook]


class Delivery(msgspec.Struct, kw_only=True):
    id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DeliveryPage(msgspec.Struct, kw_only=True):
    deliveries: list[Delivery]
    next_cursor: str | None
