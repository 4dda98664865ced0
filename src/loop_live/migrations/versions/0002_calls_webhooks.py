"""calls, the provider webhook inbox, session recording time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid().with_variant(sa.String(length=36), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("recording_ready_at", WHEN, nullable=True))
    op.create_table(
        "calls",
        sa.Column("id", UUID, nullable=False),
        sa.Column("brand_id", sa.String(length=64), nullable=False),
        sa.Column("host_user_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("scheduled_at", WHEN, nullable=True),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.Column("stream_call_type", sa.String(length=64), nullable=False),
        sa.Column("stream_call_id", sa.String(length=128), nullable=False),
        sa.Column("recording_url", sa.Text(), nullable=True),
        sa.Column("recording_ready_at", WHEN, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("metadata", JSON, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint(
            "status IN ('scheduled', 'live', 'ended', 'errored')", name=op.f("ck_calls_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("stream_call_type", "stream_call_id", name="uq_calls_stream_cid"),
    )
    op.create_index(op.f("ix_calls_brand_id"), "calls", ["brand_id"], unique=False)
    op.create_table(
        "webhook_inbox",
        sa.Column("webhook_id", sa.String(length=200), nullable=False),
        sa.Column("brand_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("call_cid", sa.String(length=255), nullable=True),
        sa.Column("received_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_webhook_inbox")),
    )
    op.create_index(op.f("ix_webhook_inbox_brand_id"), "webhook_inbox", ["brand_id"], unique=False)
    op.create_index(
        op.f("ix_webhook_inbox_received_at"), "webhook_inbox", ["received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("webhook_inbox")
    op.drop_table("calls")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("recording_ready_at")
