"""Series of sessions, calendar feeds, sent reminders (SPEC §13)

sessions gain series_id, series_slot (the rule's instant the occurrence stands for),
series_detached (edited on its own) and sequence (the iCalendar SEQUENCE).

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-02 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UUID = sa.Uuid(as_uuid=True).with_variant(sa.String(36), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("series_id", UUID))
        batch.add_column(sa.Column("series_slot", WHEN))
        batch.add_column(
            sa.Column("series_detached", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"))
    op.create_index(
        "ux_sessions_series_slot", "sessions", ["series_id", "series_slot"], unique=True
    )
    scheduled = sa.text("status = 'scheduled'")
    op.create_index(
        "ix_sessions_upcoming",
        "sessions",
        ["scheduled_at"],
        postgresql_where=scheduled,
        sqlite_where=scheduled,
    )
    _series()
    _feeds()
    _reminders()


def _series() -> None:
    op.create_table(
        "series",
        sa.Column("id", UUID, nullable=False),
        sa.Column("brand_id", sa.String(64), nullable=False),
        sa.Column("host_id", sa.String(128), nullable=False),
        sa.Column("rrule", sa.String(500), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("starts_at", WHEN, nullable=False),
        sa.Column("ends_before", WHEN),
        sa.Column("template", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("materialised_until", WHEN, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint("status IN ('active', 'cancelled')", name="ck_series_status"),
        sa.PrimaryKeyConstraint("id", name="pk_series"),
    )
    op.create_index("ix_series_brand_id", "series", ["brand_id"])
    op.create_index("ix_series_pending", "series", ["status", "materialised_until"])


def _feeds() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", UUID, nullable=False),
        sa.Column("brand_id", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(128)),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint(
            "kind IN ('brand', 'host', 'community', 'mine')", name="ck_calendar_feeds_kind"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_feeds"),
        sa.UniqueConstraint("token_hash", name="uq_calendar_feeds_token_hash"),
    )
    op.create_index("ix_calendar_feeds_brand_id", "calendar_feeds", ["brand_id"])


def _reminders() -> None:
    op.create_table(
        "reminders_sent",
        sa.Column("registration_id", UUID, nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name="fk_reminders_sent_registration_id_registrations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("registration_id", "offset_minutes", name="pk_reminders_sent"),
    )


def downgrade() -> None:
    op.drop_table("reminders_sent")
    op.drop_table("calendar_feeds")
    op.drop_table("series")
    op.drop_index("ix_sessions_upcoming", table_name="sessions")
    op.drop_index("ux_sessions_series_slot", table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        for column in ("sequence", "series_detached", "series_slot", "series_id"):
            batch.drop_column(column)
