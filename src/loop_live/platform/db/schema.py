"""The schema, for migrations and the model/migration agreement check. Queries do not use it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from loop_live.calls import vocabulary as calls_words
from loop_live.platform.db.sql import one_of
from loop_live.registrations import vocabulary as registration_words
from loop_live.sessions import vocabulary as session_words

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Uuid = sa.Uuid(as_uuid=True).with_variant(sa.String(36), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")
When = sa.DateTime(timezone=True)
Brand = sa.String(64)
OPEN = sa.text(one_of("status", session_words.OPEN_STATUSES))
REGISTERED = sa.text("status = 'registered'")
NOT_CANCELLED = sa.text("status <> 'cancelled'")
SCHEDULED = sa.text("status = 'scheduled'")


def _brand(*, index: bool = True) -> sa.Column[str]:
    return sa.Column("brand_id", Brand, nullable=False, index=index)


sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    _brand(index=False),  # every sessions index leads with brand_id
    sa.Column("host_id", sa.String(128), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text()),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("category", sa.String(64)),
    sa.Column("community_slug", sa.String(128)),
    sa.Column("scheduled_at", When, nullable=False),
    sa.Column("duration_minutes", sa.Integer()),
    sa.Column("ends_at", When, nullable=False),
    sa.Column("started_at", When),
    sa.Column("ended_at", When),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("stream_call_id", sa.String(255), unique=True),
    sa.Column("max_participants", sa.Integer(), nullable=False),
    sa.Column("registered_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("waitlist_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("attended_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("co_host_ids", Json, nullable=False),
    sa.Column("cover_image_url", sa.Text()),
    sa.Column("tags", Json, nullable=False),
    sa.Column("recording_url", sa.Text()),
    sa.Column("recording_ready_at", When),
    sa.Column("metadata", Json, nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.Column("series_id", Uuid),
    sa.Column("series_slot", When),
    sa.Column("series_detached", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"),
    # The session as the API's JSON, kept by a trigger (migration 0009): the list's rows.
    sa.Column("document", sa.Text(), nullable=False, server_default=""),
    sa.CheckConstraint(one_of("status", session_words.STATUSES), name="status"),
    sa.CheckConstraint(one_of("kind", session_words.KINDS), name="kind"),
    sa.Index("ux_sessions_series_slot", "series_id", "series_slot", unique=True),
    sa.Index(  # the reminder job's due range, across brands
        "ix_sessions_upcoming",
        "scheduled_at",
        postgresql_where=SCHEDULED,
        sqlite_where=SCHEDULED,
    ),
    sa.CheckConstraint(
        "registered_count >= 0 AND registered_count <= max_participants", name="capacity"
    ),
    sa.CheckConstraint("waitlist_count >= 0", name="waitlist"),
    sa.Index("ix_sessions_brand_time", "brand_id", "scheduled_at", "id"),
    sa.Index("ix_sessions_brand_host_time", "brand_id", "host_id", "scheduled_at", "id"),
    sa.Index(
        "ix_sessions_brand_community_time", "brand_id", "community_slug", "scheduled_at", "id"
    ),
    sa.Index("ix_sessions_brand_status_time", "brand_id", "status", "scheduled_at", "id"),
    sa.Index("ix_sessions_brand_kind_time", "brand_id", "kind", "scheduled_at", "id"),
    sa.Index("ix_sessions_brand_category_time", "brand_id", "category", "scheduled_at", "id"),
    *(  # the `upcoming` pairs: a filter over open sessions only (migration 0008); `status`
        # last so that `status=scheduled` skips live sessions on the index entry (0011)
        sa.Index(
            f"ix_sessions_brand_{name}_open_time",
            "brand_id",
            column,
            "scheduled_at",
            "id",
            "status",
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        )
        for name, column in (
            ("host", "host_id"),
            ("community", "community_slug"),
            ("kind", "kind"),
            ("category", "category"),
        )
    ),
    sa.Index(
        "ix_sessions_brand_open_time",
        "brand_id",
        "scheduled_at",
        "id",
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    ),
)

registrations = sa.Table(
    "registrations",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    _brand(),
    sa.Column("session_id", Uuid, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", sa.String(128)),
    sa.Column("guest_email", sa.String(320)),
    sa.Column("guest_email_key", sa.String(320)),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("registered_at", When, nullable=False),
    sa.Column("cancelled_at", When),
    sa.Column("promoted_at", When),
    sa.Column("updated_at", When, nullable=False),
    sa.CheckConstraint(one_of("status", registration_words.STATUSES), name="status"),
    sa.CheckConstraint(one_of("role", registration_words.ROLES), name="role"),
    sa.CheckConstraint("(user_id IS NULL) <> (guest_email_key IS NULL)", name="one_person"),
    sa.Index(
        "ux_registrations_session_user",
        "session_id",
        "user_id",
        unique=True,
        postgresql_where=NOT_CANCELLED,
        sqlite_where=NOT_CANCELLED,
    ),
    sa.Index(
        "ux_registrations_session_guest",
        "session_id",
        "guest_email_key",
        unique=True,
        postgresql_where=NOT_CANCELLED,
        sqlite_where=NOT_CANCELLED,
    ),
    sa.Index("ix_registrations_session_time", "session_id", "registered_at", "id"),
    sa.Index("ix_registrations_session_status_time", "session_id", "status", "registered_at", "id"),
    # a viewer's registered sessions: `is_registered` on every listed session
    sa.Index(
        "ix_registrations_user_registered",
        "user_id",
        "session_id",
        postgresql_where=REGISTERED,
        sqlite_where=REGISTERED,
    ),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    _brand(),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("entity_type", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(64)),
    sa.Column("details", Json, nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Index("ix_audit_log_entity", "entity_type", "entity_id", "created_at"),
)

outbox_events = sa.Table(
    "outbox_events",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    _brand(),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("aggregate_id", sa.String(64), nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("published_at", When),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Index(
        "ix_outbox_events_pending",
        "created_at",
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    ),
    sa.Index(  # retention finds delivered rows by age
        "ix_outbox_events_published",
        "published_at",
        postgresql_where=sa.text("published_at IS NOT NULL"),
        sqlite_where=sa.text("published_at IS NOT NULL"),
    ),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("principal", sa.String(200), primary_key=True),
    sa.Column("key", sa.String(128), primary_key=True),
    _brand(),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer(), nullable=False),
    sa.Column("response_body", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("expires_at", When, nullable=False, index=True),
)

calls = sa.Table(
    "calls",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    _brand(),
    sa.Column("host_user_id", sa.String(128), nullable=False),
    sa.Column("participant_ids", Json, nullable=False, server_default=sa.text("'[]'")),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("scheduled_at", When),
    sa.Column("started_at", When),
    sa.Column("ended_at", When),
    sa.Column("stream_call_type", sa.String(64), nullable=False),
    sa.Column("stream_call_id", sa.String(128), nullable=False),
    sa.Column("recording_url", sa.Text()),
    sa.Column("recording_ready_at", When),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("metadata", Json, nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.CheckConstraint(one_of("status", calls_words.STATUSES), name="status"),
    sa.UniqueConstraint("stream_call_type", "stream_call_id", name="uq_calls_stream_cid"),
)

webhook_inbox = sa.Table(
    "webhook_inbox",
    metadata,
    sa.Column("webhook_id", sa.String(200), primary_key=True),
    _brand(),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("call_cid", sa.String(255)),
    sa.Column("received_at", When, nullable=False, index=True),
)

webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    _brand(),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("event_types", Json, nullable=False),
    sa.Column("description", sa.Text()),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("secret", sa.Text(), nullable=False),  # encrypted (outbound/secrets.py)
    sa.Column("previous_secret", sa.Text()),  # encrypted; signs too until it expires
    sa.Column("previous_expires_at", When),
    sa.Column("failing_since", When),
    sa.Column("paused_until", When),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("subscription_id", Uuid, nullable=False),
    _brand(index=False),
    sa.Column("event_id", Uuid, nullable=False),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("last_status_code", sa.Integer()),
    sa.Column("last_error", sa.Text()),
    sa.Column("next_attempt_at", When),
    sa.Column("delivered_at", When),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'failed', 'dead')", name="status"),
    sa.UniqueConstraint("subscription_id", "event_id", name="uq_webhook_deliveries_event"),
    sa.Index("ix_webhook_deliveries_log", "subscription_id", "created_at", "id"),
    sa.Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    ),
)

# The dispatcher's claim (events/repository.py): an aggregate's earliest undelivered event.
sa.Index(
    "ix_outbox_events_aggregate_pending",
    outbox_events.c.aggregate_id,
    outbox_events.c.created_at,
    postgresql_where=sa.text("published_at IS NULL"),
    sqlite_where=sa.text("published_at IS NULL"),
)

series = sa.Table(
    "series",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    _brand(),
    sa.Column("host_id", sa.String(128), nullable=False),
    sa.Column("rrule", sa.String(500), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("starts_at", When, nullable=False),
    sa.Column("ends_before", When),
    sa.Column("template", Json, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("materialised_until", When, nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.CheckConstraint("status IN ('active', 'cancelled')", name="status"),
    sa.Index("ix_series_pending", "status", "materialised_until"),
)

calendar_feeds = sa.Table(
    "calendar_feeds",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    _brand(),
    sa.Column("owner", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.String(128)),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", When, nullable=False),
    sa.CheckConstraint("kind IN ('brand', 'host', 'community', 'mine')", name="kind"),
)

reminders_sent = sa.Table(
    "reminders_sent",
    metadata,
    sa.Column(
        "registration_id",
        Uuid,
        sa.ForeignKey("registrations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("offset_minutes", sa.Integer(), primary_key=True),
    sa.Column("scheduled_at", When, nullable=False),
    sa.Column("sent_at", When, nullable=False),
)

attendance_events = sa.Table(
    "attendance_events",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    _brand(index=False),
    sa.Column("session_id", Uuid, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("connection_id", sa.String(255), nullable=False),
    sa.Column("at", When, nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.CheckConstraint("kind IN ('joined', 'left', 'token')", name="kind"),
    sa.UniqueConstraint("session_id", "kind", "connection_id", name="uq_attendance_events_event"),
    sa.Index("ix_attendance_events_session_user", "session_id", "user_id"),
)
