"""`POST /webhooks/stream`: authenticated by the provider's signature alone."""

from __future__ import annotations

import gzip
import hashlib
from typing import Any

import msgspec
from litestar import Request, post

from loop_live.platform import http
from loop_live.platform.clock import utcnow
from loop_live.platform.errors import InvalidSignature, ValidationFailed
from loop_live.webhooks import events, service

_GZIP_MAGIC = b"\x1f\x8b"


class Received(msgspec.Struct):
    received: bool
    outcome: str


@post(
    "/webhooks/stream",
    opt={"exclude_from_auth": True},
    status_code=200,
    security=[],
    responses=http.errors(400, 401, 413, 503),
    tags=["webhooks"],
)
async def stream_webhook(request: Request[Any, Any, Any]) -> Received:
    """GetStream Video events: `X-Signature` is the hex HMAC-SHA256 of the raw body keyed by
    the API secret; `X-Webhook-Id` makes retries no-ops."""
    rt = http.runtime(request)
    body = _inflate(await request.body())
    signature = request.headers.get("x-signature", "")
    if not signature or not rt.provider.signature_valid(body, signature):
        raise InvalidSignature("missing or wrong X-Signature")
    try:
        payload = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise ValidationFailed("webhook body is not JSON") from None
    event = events.parse(payload, utcnow())
    webhook_id = request.headers.get("x-webhook-id") or hashlib.sha256(body).hexdigest()
    async with rt.db.write() as conn:
        outcome = await service.handle(conn, rt.provider.name, webhook_id[:200], event)
    return Received(received=True, outcome=outcome)


def _inflate(body: bytes) -> bytes:
    # GetStream may gzip payloads; the signature covers the uncompressed bytes.
    if not body.startswith(_GZIP_MAGIC):
        return body
    try:
        return gzip.decompress(body)
    except (OSError, EOFError):
        raise ValidationFailed("webhook body is not valid gzip") from None


handlers = [stream_webhook]
