"""calls.participant_ids; an index of delivered outbox rows by age, for retention

participant_ids: the users besides the host who may read the call and mint its tokens.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(
            sa.Column("participant_ids", JSON, nullable=False, server_default=sa.text("'[]'"))
        )
    delivered = sa.text("published_at IS NOT NULL")
    op.create_index(
        "ix_outbox_events_published",
        "outbox_events",
        ["published_at"],
        postgresql_where=delivered,
        sqlite_where=delivered,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_events_published", table_name="outbox_events")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("participant_ids")
