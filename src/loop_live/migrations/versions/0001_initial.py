"""sessions, registrations, audit, outbox, idempotency

Revision ID: 0001
Revises:
Create Date: 2026-11-23 16:17:42.977581
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Uuid().with_variant(sa.String(length=36), "sqlite"), nullable=False),
        sa.Column("brand_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_brand_id"), "audit_log", ["brand_id"], unique=False)
    op.create_index(
        "ix_audit_log_entity", "audit_log", ["entity_type", "entity_id", "created_at"], unique=False
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("brand_id", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        op.f("ix_idempotency_keys_brand_id"), "idempotency_keys", ["brand_id"], unique=False
    )
    op.create_index(
        op.f("ix_idempotency_keys_expires_at"), "idempotency_keys", ["expires_at"], unique=False
    )
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Uuid().with_variant(sa.String(length=36), "sqlite"), nullable=False),
        sa.Column("brand_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
    )
    op.create_index(op.f("ix_outbox_events_brand_id"), "outbox_events", ["brand_id"], unique=False)
    op.create_index(
        "ix_outbox_events_pending",
        "outbox_events",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid().with_variant(sa.String(length=36), "sqlite"), nullable=False),
        sa.Column("brand_id", sa.String(length=64), nullable=False),
        sa.Column("host_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("community_slug", sa.String(length=128), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stream_call_id", sa.String(length=255), nullable=True),
        sa.Column("max_participants", sa.Integer(), nullable=False),
        sa.Column("registered_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("waitlist_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "co_host_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("cover_image_url", sa.Text(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("recording_url", sa.Text(), nullable=True),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('live', 'office_hours')", name=op.f("ck_sessions_kind")),
        sa.CheckConstraint(
            "status IN ('scheduled', 'live', 'ended', 'cancelled')", name=op.f("ck_sessions_status")
        ),
        sa.CheckConstraint(
            "registered_count >= 0 AND registered_count <= max_participants",
            name=op.f("ck_sessions_capacity"),
        ),
        sa.CheckConstraint("waitlist_count >= 0", name=op.f("ck_sessions_waitlist")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("stream_call_id", name=op.f("uq_sessions_stream_call_id")),
    )
    op.create_index(
        "ix_sessions_brand_community_time",
        "sessions",
        ["brand_id", "community_slug", "scheduled_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_sessions_brand_host_time",
        "sessions",
        ["brand_id", "host_id", "scheduled_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_sessions_brand_open_time",
        "sessions",
        ["brand_id", "scheduled_at", "id"],
        unique=False,
        postgresql_where=sa.text("status IN ('scheduled', 'live')"),
        sqlite_where=sa.text("status IN ('scheduled', 'live')"),
    )
    op.create_index(
        "ix_sessions_brand_status_time",
        "sessions",
        ["brand_id", "status", "scheduled_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_sessions_brand_time", "sessions", ["brand_id", "scheduled_at", "id"], unique=False
    )
    op.create_table(
        "registrations",
        sa.Column("id", sa.Uuid().with_variant(sa.String(length=36), "sqlite"), nullable=False),
        sa.Column("brand_id", sa.String(length=64), nullable=False),
        sa.Column(
            "session_id", sa.Uuid().with_variant(sa.String(length=36), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("guest_email", sa.String(length=320), nullable=True),
        sa.Column("guest_email_key", sa.String(length=320), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('host', 'participant', 'guest')", name=op.f("ck_registrations_role")
        ),
        sa.CheckConstraint(
            "status IN ('registered', 'waitlist', 'cancelled')",
            name=op.f("ck_registrations_status"),
        ),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (guest_email_key IS NULL)",
            name=op.f("ck_registrations_one_person"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_registrations_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
    )
    op.create_index(op.f("ix_registrations_brand_id"), "registrations", ["brand_id"], unique=False)
    op.create_index(
        "ix_registrations_session_status_time",
        "registrations",
        ["session_id", "status", "registered_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_registrations_session_time",
        "registrations",
        ["session_id", "registered_at", "id"],
        unique=False,
    )
    op.create_index(
        "ux_registrations_session_guest",
        "registrations",
        ["session_id", "guest_email_key"],
        unique=True,
        postgresql_where=sa.text("status <> 'cancelled'"),
        sqlite_where=sa.text("status <> 'cancelled'"),
    )
    op.create_index(
        "ux_registrations_session_user",
        "registrations",
        ["session_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'cancelled'"),
        sqlite_where=sa.text("status <> 'cancelled'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ux_registrations_session_user",
        table_name="registrations",
        postgresql_where=sa.text("status <> 'cancelled'"),
        sqlite_where=sa.text("status <> 'cancelled'"),
    )
    op.drop_index(
        "ux_registrations_session_guest",
        table_name="registrations",
        postgresql_where=sa.text("status <> 'cancelled'"),
        sqlite_where=sa.text("status <> 'cancelled'"),
    )
    op.drop_index("ix_registrations_session_time", table_name="registrations")
    op.drop_index("ix_registrations_session_status_time", table_name="registrations")
    op.drop_index(op.f("ix_registrations_brand_id"), table_name="registrations")
    op.drop_table("registrations")
    op.drop_index("ix_sessions_brand_time", table_name="sessions")
    op.drop_index("ix_sessions_brand_status_time", table_name="sessions")
    op.drop_index(
        "ix_sessions_brand_open_time",
        table_name="sessions",
        postgresql_where=sa.text("status IN ('scheduled', 'live')"),
        sqlite_where=sa.text("status IN ('scheduled', 'live')"),
    )
    op.drop_index("ix_sessions_brand_host_time", table_name="sessions")
    op.drop_index("ix_sessions_brand_community_time", table_name="sessions")
    op.drop_table("sessions")
    op.drop_index(
        "ix_outbox_events_pending",
        table_name="outbox_events",
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    op.drop_index(op.f("ix_outbox_events_brand_id"), table_name="outbox_events")
    op.drop_table("outbox_events")
    op.drop_index(op.f("ix_idempotency_keys_expires_at"), table_name="idempotency_keys")
    op.drop_index(op.f("ix_idempotency_keys_brand_id"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_brand_id"), table_name="audit_log")
    op.drop_table("audit_log")
