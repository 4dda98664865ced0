"""`POST /webhooks/stream`: authenticated by the provider's signature alone."""

from __future__ import annotations

import hashlib
import logging
import zlib
from typing import Annotated, Any

import msgspec
from litestar import Request, post
from litestar.params import HeaderParameter

from loop_live.platform import http, options, strict_body
from loop_live.platform.clock import utcnow
from loop_live.platform.errors import InvalidSignature, PayloadTooLarge, ValidationFailed
from loop_live.webhooks import events, service

_GZIP_MAGIC = b"\x1f\x8b"
log = logging.getLogger("loop_live.webhooks")


Signature = Annotated[
    str | None,
    HeaderParameter(
        name="X-Signature",
        description="Hex HMAC-SHA256 of the raw body keyed by the provider API secret."
        " Missing or wrong: 401 invalid_signature.",
    ),
]
WebhookId = Annotated[
    str | None,
    HeaderParameter(
        name="X-Webhook-Id",
        description="Makes retries no-ops; without it the SHA-256 of the body does.",
    ),
]


class Received(msgspec.Struct, omit_defaults=True):
    received: bool
    outcome: str
    reason: str | None = None


@post(
    "/webhooks/stream",
    opt={"exclude_from_auth": True, "signed": True},
    status_code=200,
    security=[],
    responses=http.errors(400, 401, 413, 429, 503),
    tags=["webhooks"],
)
async def stream_webhook(
    request: Request[Any, Any, Any], signature: Signature = None, webhook_id: WebhookId = None
) -> Received:
    """GetStream Video events: `X-Signature` is the hex HMAC-SHA256 of the raw body keyed by
    the API secret; `X-Webhook-Id` makes retries no-ops."""
    rt = http.runtime(request)
    body = _inflate(await request.body(), rt.settings.max_body_bytes)
    if not signature or not rt.provider.signature_valid(body, signature):
        raise InvalidSignature("missing or wrong X-Signature")
    try:
        event = events.parse(strict_body.decode_document(body), utcnow())
    except (ValidationFailed, events.Unusable) as exc:
        return _ignored(str(exc))
    delivery = webhook_id or hashlib.sha256(body).hexdigest()
    async with rt.db.write() as conn:
        outcome = await service.handle(conn, rt.provider.name, delivery[:200], event)
    return Received(received=True, outcome=outcome)


def _ignored(reason: str) -> Received:
    # One line, a fixed reason and no payload: the body may name people.
    log.warning("webhook ignored: %s", reason)
    return Received(received=True, outcome="ignored", reason=reason)


def _inflate(body: bytes, limit: int) -> bytes:
    # GetStream may gzip payloads; the signature covers the uncompressed bytes. Inflating
    # happens before the signature is checked, so it stops at the body size limit.
    if not body.startswith(_GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(wbits=31)
    try:
        raw = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise ValidationFailed("webhook body is not valid gzip") from None
    if len(raw) > limit:
        raise PayloadTooLarge("webhook body is too large once decompressed")
    if not inflater.eof:
        raise ValidationFailed("webhook body is not valid gzip")
    return raw


handlers = [options.router("/", [stream_webhook])]
