"""The viewer's registered sessions on an index, read once per list page for `is_registered`

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REGISTERED = sa.text("status = 'registered'")


def upgrade() -> None:
    op.create_index(
        "ix_registrations_user_registered",
        "registrations",
        ["user_id", "session_id"],
        postgresql_where=REGISTERED,
        sqlite_where=REGISTERED,
    )


def downgrade() -> None:
    op.drop_index("ix_registrations_user_registered", table_name="registrations")
