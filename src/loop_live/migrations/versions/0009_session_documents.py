"""sessions.document: each session rendered as the API's JSON by the database when it is
written, so that the list passes text through (issue 11)

The document holds every member of the session object but the viewer's `is_registered`, and
is left open (no closing brace) so that a read appends it. A trigger keeps it: BEFORE INSERT
OR UPDATE on PostgreSQL, AFTER INSERT / UPDATE on SQLite (which cannot assign NEW). A later
migration that changes a rendered column must replace these triggers; one that rebuilds the
table on SQLite (a batch operation) must create them again. tests/sessions/
test_list_documents.py fails when a document differs from the server's own rendering.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from loop_live.platform.db.json_text import Field, json_members

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The session object as of this revision, in order, without is_registered.
FIELDS = (
    Field("id", "uuid"),
    Field("host_id", "text"),
    Field("brand_id", "text"),
    Field("title", "text"),
    Field("description", "text", nullable=True),
    Field("kind", "text"),
    Field("category", "text", nullable=True),
    Field("community_slug", "text", nullable=True),
    Field("scheduled_at", "instant"),
    Field("duration_minutes", "integer", nullable=True),
    Field("started_at", "instant", nullable=True),
    Field("ended_at", "instant", nullable=True),
    Field("status", "text"),
    Field("stream_call_id", "text", nullable=True),
    Field("max_participants", "integer"),
    Field("co_host_ids", "json"),
    Field("cover_image_url", "text", nullable=True),
    Field("tags", "json"),
    Field("recording_url", "text", nullable=True),
    Field("metadata", "json"),
    Field("registered_count", "integer"),
    Field("waitlist_count", "integer"),
    Field("created_at", "instant"),
    Field("updated_at", "instant"),
    Field("series_id", "uuid", nullable=True),
    Field("attended_count", "integer"),
)
RENDERED = ", ".join(field.name for field in FIELDS)


def _document(dialect: str, row: str) -> str:
    return json_members("postgresql" if dialect == "postgresql" else "sqlite", [
        (field, f"{row}.{field.name}") for field in FIELDS
    ])  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("document", sa.Text(), nullable=False, server_default=""))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _postgresql() -> None:
    op.execute(
        "CREATE FUNCTION sessions_document() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN NEW.document := {_document('postgresql', 'NEW')}; RETURN NEW; END $$"
    )
    op.execute(
        f"CREATE TRIGGER sessions_document BEFORE INSERT OR UPDATE OF {RENDERED} ON sessions"
        " FOR EACH ROW EXECUTE FUNCTION sessions_document()"
    )
    op.execute("UPDATE sessions SET id = id")  # the trigger renders every existing row


def _sqlite() -> None:
    render = f"UPDATE sessions SET document = {_document('sqlite', 'NEW')} WHERE rowid = NEW.rowid;"
    op.execute(
        f"CREATE TRIGGER sessions_document_insert AFTER INSERT ON sessions BEGIN {render} END"
    )
    op.execute(
        f"CREATE TRIGGER sessions_document_update AFTER UPDATE OF {RENDERED} ON sessions"
        f" BEGIN {render} END"
    )
    op.execute(f"UPDATE sessions SET document = {_document('sqlite', 'sessions')}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER sessions_document ON sessions")
        op.execute("DROP FUNCTION sessions_document()")
    else:
        op.execute("DROP TRIGGER sessions_document_insert")
        op.execute("DROP TRIGGER sessions_document_update")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("document")
