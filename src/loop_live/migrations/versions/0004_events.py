"""an index of undelivered outbox events per aggregate, for the dispatcher's claim

The claim takes an aggregate's oldest undelivered event only; without this index each
candidate row's "no earlier undelivered event" check scanned the whole backlog.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pending = sa.text("published_at IS NULL")
    op.create_index(
        "ix_outbox_events_aggregate_pending",
        "outbox_events",
        ["aggregate_id", "created_at"],
        postgresql_where=pending,
        sqlite_where=pending,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_events_aggregate_pending", table_name="outbox_events")
