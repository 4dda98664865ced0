"""`/v1/admin/webhooks`: a brand's outbound webhook subscriptions and their delivery log."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from loop_live.outbound import repository as repo
from loop_live.outbound import service
from loop_live.outbound.schemas import (
    Delivery,
    DeliveryPage,
    Webhook,
    WebhookCreate,
    WebhookList,
    WebhookPatch,
    WebhookWithSecret,
)
from loop_live.outbound.secrets import SecretBox
from loop_live.platform import http
from loop_live.platform.auth.principal import ADMIN
from loop_live.platform.uow import json_response, mutate
from loop_live.sessions import params as q

AnyRequest = Request[Any, Any, Any]
BASE = "/v1/admin/webhooks"
ONE = BASE + "/{webhook_id:str}"
TAGS = ["webhooks-out"]


def _box(request: AnyRequest) -> SecretBox:
    return SecretBox(http.runtime(request).settings.webhooks_secret_key.get_secret_value())


def _allow_private(request: AnyRequest) -> bool:
    return http.runtime(request).settings.webhooks_allow_private


@post(BASE, opt={"scope": ADMIN}, status_code=201, responses=http.WRITE_ERRORS, tags=TAGS)
async def create_webhook(
    request: AnyRequest, data: JSONBody[WebhookCreate], idempotency_key: http.IdempotencyKey = None
) -> Response[WebhookWithSecret]:
    """Subscribe a URL to the brand's events (`event_types` [] = all). The signing `secret` is
    in this response only (and its Idempotency-Key replays)."""
    await service.check_url(data.url, allow_private=_allow_private(request))
    box = _box(request)
    return await mutate(
        request,
        lambda conn, actor: service.create(conn, actor, box, data),
        status=201,
        reveal=lambda granted: service.reveal(box, granted),
    )


@get(BASE, opt={"scope": ADMIN}, responses=http.LIST_ERRORS, tags=TAGS)
async def list_webhooks(request: AnyRequest) -> Response[WebhookList]:
    async with http.runtime(request).db.read() as conn:
        rows = await repo.list_all(conn, http.brand(request))
    return json_response({"webhooks": [repo.webhook_json(row) for row in rows]})


@get(ONE, opt={"scope": ADMIN}, responses=http.READ_ERRORS, tags=TAGS)
async def get_webhook(request: AnyRequest, webhook_id: FromPath[str]) -> Response[Webhook]:
    async with http.runtime(request).db.read() as conn:
        row = await service.find(conn, http.brand(request), webhook_id)
    return json_response(repo.webhook_json(row))


@patch(ONE, opt={"scope": ADMIN}, responses=http.WRITE_ERRORS, tags=TAGS)
async def update_webhook(
    request: AnyRequest,
    webhook_id: FromPath[str],
    data: JSONBody[WebhookPatch],
    idempotency_key: http.IdempotencyKey = None,
) -> Response[Webhook]:
    """Change `url`, `event_types`, `description`, or `enabled` (re-enabling resumes delivery
    of what is pending)."""
    await service.check_url(data.url, allow_private=_allow_private(request))
    return await mutate(request, lambda conn, actor: service.update(conn, actor, webhook_id, data))


@delete(ONE, opt={"scope": ADMIN}, status_code=200, responses=http.WRITE_ERRORS, tags=TAGS)
async def delete_webhook(
    request: AnyRequest, webhook_id: FromPath[str], idempotency_key: http.IdempotencyKey = None
) -> Response[Webhook]:
    """Remove the subscription and its delivery log; returns what was removed."""
    return await mutate(request, lambda conn, actor: service.remove(conn, actor, webhook_id))


@post(
    ONE + "/rotate-secret",
    opt={"scope": ADMIN},
    status_code=200,
    responses=http.WRITE_ERRORS,
    tags=TAGS,
)
async def rotate_secret(
    request: AnyRequest, webhook_id: FromPath[str], idempotency_key: http.IdempotencyKey = None
) -> Response[WebhookWithSecret]:
    """A new signing `secret`, shown once. For 24 hours deliveries carry a `webhook-signature`
    by the old secret too, so receivers can switch without losing events."""
    box = _box(request)
    return await mutate(
        request,
        lambda conn, actor: service.rotate(conn, actor, box, webhook_id),
        reveal=lambda granted: service.reveal(box, granted),
    )


@get(ONE + "/deliveries", opt={"scope": ADMIN}, responses=http.READ_ERRORS, tags=TAGS)
async def list_deliveries(
    request: AnyRequest, webhook_id: FromPath[str], limit: q.Limit = None, cursor: q.Cursor = None
) -> Response[DeliveryPage]:
    """The delivery log, newest first: status, attempts, last status code, next attempt."""
    rt = http.runtime(request)
    page_at = service.Page(limit or service.PAGE, cursor)
    async with rt.db.read() as conn:
        page = await service.deliveries(conn, http.brand(request), webhook_id, rt.cursors, page_at)
    return json_response(page)


@post(
    ONE + "/deliveries/{delivery_id:str}/redeliver",
    opt={"scope": ADMIN},
    status_code=200,
    responses=http.WRITE_ERRORS,
    tags=TAGS,
)
async def redeliver(
    request: AnyRequest,
    webhook_id: FromPath[str],
    delivery_id: FromPath[str],
    idempotency_key: http.IdempotencyKey = None,
) -> Response[Delivery]:
    """Queue the delivery again now (any status), with the same event id."""
    return await mutate(
        request, lambda conn, actor: service.redeliver(conn, actor, webhook_id, delivery_id)
    )


handlers = [
    create_webhook,
    list_webhooks,
    get_webhook,
    update_webhook,
    delete_webhook,
    rotate_secret,
    list_deliveries,
    redeliver,
]
