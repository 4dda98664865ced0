"""`Idempotency-Key` (SPEC §7): replay a stored success, refuse a key reused for another body.

The key row is inserted at the start of the request's own transaction. A concurrent retry's
INSERT waits on that uncommitted row (PostgreSQL) or on the write lock (SQLite), then finds the
committed response and replays it; if the first attempt rolled back, the retry runs afresh.
Errors are not stored: a failed request leaves no key behind and may be retried.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from loop_live.platform.db import Connection, Sql
from loop_live.platform.errors import IdempotencyKeyMismatch, ValidationFailed

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 128


@dataclass(frozen=True, slots=True)
class Stored:
    status: int
    body: bytes


_PURGE_EXPIRED = Sql(
    "DELETE FROM idempotency_keys WHERE principal = :principal AND key = :key"
    " AND expires_at <= :now"
)
_CLAIM = Sql(
    "INSERT INTO idempotency_keys (principal, key, brand_id, request_hash, status_code,"
    " response_body, created_at, expires_at) VALUES (:principal, :key, :brand_id, :request_hash,"
    " 0, :empty, :now, :expires_at) ON CONFLICT (principal, key) DO NOTHING"
)
_FIND = Sql(
    "SELECT request_hash, status_code, response_body FROM idempotency_keys"
    " WHERE principal = :principal AND key = :key"
)
_SAVE = Sql(
    "UPDATE idempotency_keys SET status_code = :status, response_body = :body"
    " WHERE principal = :principal AND key = :key"
)


def check_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise ValidationFailed(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
            parameter="Idempotency-Key",
        )
    return key


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


async def claim(
    conn: Connection, principal: str, key: str, brand: str, fingerprint: str, now: datetime
) -> Stored | None:
    """Reserve `key` for this request, or return the response stored under it."""
    ident = {"principal": principal, "key": key}
    await conn.execute(_PURGE_EXPIRED, {**ident, "now": now})
    inserted = await conn.execute(
        _CLAIM,
        {
            **ident,
            "brand_id": brand,
            "request_hash": fingerprint,
            "empty": b"",
            "now": now,
            "expires_at": now + TTL,
        },
    )
    if inserted:
        return None
    row = await conn.fetchrow(_FIND, ident)
    if row is None:  # expired and purged by a concurrent request between our two statements
        return None
    if row["request_hash"] != fingerprint:
        raise IdempotencyKeyMismatch(
            "this Idempotency-Key was already used with a different request"
        )
    return Stored(row["status_code"], bytes(row["response_body"]))


async def save(conn: Connection, principal: str, key: str, status: int, body: bytes) -> None:
    await conn.execute(_SAVE, {"principal": principal, "key": key, "status": status, "body": body})
