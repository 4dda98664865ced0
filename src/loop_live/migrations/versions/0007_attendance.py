"""attendance_events: the provider's participant joins and leaves, and join-token issuance;
sessions.attended_count

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-02 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid().with_variant(sa.String(length=36), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "attendance_events",
        sa.Column("id", UUID, nullable=False),
        sa.Column("brand_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("connection_id", sa.String(length=255), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint("kind IN ('joined', 'left', 'token')", name="ck_attendance_events_kind"),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name="fk_attendance_events_session_id_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attendance_events"),
        sa.UniqueConstraint(
            "session_id", "kind", "connection_id", name="uq_attendance_events_event"
        ),
    )
    op.create_index(
        "ix_attendance_events_session_user", "attendance_events", ["session_id", "user_id"]
    )
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(
            sa.Column("attended_count", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("attended_count")
    op.drop_index("ix_attendance_events_session_user", table_name="attendance_events")
    op.drop_table("attendance_events")
