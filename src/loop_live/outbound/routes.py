"""`/v1/admin/webhooks`: a brand's outbound webhook subscriptions and their delivery log."""

from __future__ import annotations

from litestar import Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody

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
from loop_live.platform import http, options, paging
from loop_live.platform.auth.principal import ADMIN
from loop_live.platform.http import AnyRequest
from loop_live.platform.uow import mutate, read

ONE = "/{webhook_id:str}"


def _box(request: AnyRequest) -> SecretBox:
    return SecretBox(http.runtime(request).settings.webhooks_secret_key.get_secret_value())


def _allow_private(request: AnyRequest) -> bool:
    return http.runtime(request).settings.webhooks_allow_private


@post("/", status_code=201, responses=http.WRITE_ERRORS)
async def create_webhook(
    request: AnyRequest, data: JSONBody[WebhookCreate], idempotency_key: http.IdempotencyKey = None
) -> Response[WebhookWithSecret]:
    """Subscribe a URL to the brand's events (`event_types` [] = all). The signing `secret` is
    in this response only (and its Idempotency-Key replays)."""
    box, private = _box(request), _allow_private(request)
    return await mutate(
        request,
        lambda conn, actor, _: service.create(conn, actor, box, data),
        before=lambda db, actor: service.check_url(data.url, allow_private=private),
        status=201,
        reveal=lambda granted: service.reveal(box, granted),
    )


@get("/", responses=http.LIST_ERRORS)
async def list_webhooks(request: AnyRequest) -> Response[WebhookList]:
    return await read(request, service.list_all)


@get(ONE, responses=http.READ_ERRORS)
async def get_webhook(request: AnyRequest, webhook_id: FromPath[str]) -> Response[Webhook]:
    return await read(request, lambda conn, actor: service.read(conn, actor, webhook_id))


@patch(ONE, responses=http.WRITE_ERRORS)
async def update_webhook(
    request: AnyRequest,
    webhook_id: FromPath[str],
    data: JSONBody[WebhookPatch],
    idempotency_key: http.IdempotencyKey = None,
) -> Response[Webhook]:
    """Change `url`, `event_types`, `description`, or `enabled` (re-enabling resumes delivery
    of what is pending)."""
    private = _allow_private(request)
    return await mutate(
        request,
        lambda conn, actor, _: service.update(conn, actor, webhook_id, data),
        before=lambda db, actor: service.check_url(data.url, allow_private=private),
    )


@delete(ONE, status_code=200, responses=http.WRITE_ERRORS)
async def delete_webhook(
    request: AnyRequest, webhook_id: FromPath[str], idempotency_key: http.IdempotencyKey = None
) -> Response[Webhook]:
    """Remove the subscription and its delivery log; returns what was removed."""
    return await mutate(request, lambda conn, actor: service.remove(conn, actor, webhook_id))


@post(
    ONE + "/rotate-secret",
    status_code=200,
    responses=http.WRITE_ERRORS,
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


@get(ONE + "/deliveries", responses=http.READ_ERRORS)
async def list_deliveries(
    request: AnyRequest,
    webhook_id: FromPath[str],
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[DeliveryPage]:
    """The delivery log, newest first: status, attempts, last status code, next attempt."""
    cursors, page = http.runtime(request).cursors, service.Page(limit, cursor)
    return await read(
        request, lambda conn, actor: service.deliveries(conn, actor, webhook_id, cursors, page)
    )


@post(
    ONE + "/deliveries/{delivery_id:str}/redeliver",
    status_code=200,
    responses=http.WRITE_ERRORS,
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


router = options.router(
    "/v1/admin/webhooks",
    [
        create_webhook,
        list_webhooks,
        get_webhook,
        update_webhook,
        delete_webhook,
        rotate_secret,
        list_deliveries,
        redeliver,
    ],
    opt={"scope": ADMIN},
    tags=["webhooks-out"],
)
handlers = [router]
