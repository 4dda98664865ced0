"""The SQL of retention: each statement deletes one bounded batch of expired rows.

On PostgreSQL the batch is picked with `FOR UPDATE SKIP LOCKED`, so two pruners running at once
delete different rows instead of queueing behind each other; SQLite serialises writers anyway.
"""

from __future__ import annotations

from datetime import datetime

from loop_live.platform.db import Connection, Sql

# What has expired, per table, relative to a `:cutoff` instant. An undelivered outbox row
# never expires: it is an event nobody has received yet.
EXPIRED = {
    "idempotency_keys": "expires_at <= :cutoff",
    "outbox_events": "published_at IS NOT NULL AND published_at < :cutoff",
    "webhook_inbox": "received_at < :cutoff",
}


def _postgres(table: str, expired: str) -> Sql:
    return Sql(
        f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table}"
        f" WHERE {expired} LIMIT :batch FOR UPDATE SKIP LOCKED))"
    )


def _sqlite(table: str, expired: str) -> Sql:
    return Sql(
        f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table}"
        f" WHERE {expired} LIMIT :batch)"
    )


_DELETE = {
    "postgresql": {table: _postgres(table, expired) for table, expired in EXPIRED.items()},
    "sqlite": {table: _sqlite(table, expired) for table, expired in EXPIRED.items()},
}


async def delete_batch(conn: Connection, table: str, cutoff: datetime, batch: int) -> int:
    """Delete up to `batch` rows of `table` that expired before `cutoff`; how many went."""
    return await conn.execute(_DELETE[conn.dialect][table], {"cutoff": cutoff, "batch": batch})
