"""`status` as the last column of the open-session filter indexes: `status=scheduled` with a
host, community, kind or category filter skips the brand's live sessions on the index entry
instead of reading each one's row (256 rows for a first page of the 1,000,000-session demo)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('scheduled', 'live')")
FILTERS = {"host": "host_id", "community": "community_slug", "kind": "kind", "category": "category"}


def upgrade() -> None:
    _rebuild(("status",))


def downgrade() -> None:
    _rebuild(())


def _rebuild(trailing: tuple[str, ...]) -> None:
    for name, column in FILTERS.items():
        index = f"ix_sessions_brand_{name}_open_time"
        op.drop_index(index, table_name="sessions")
        op.create_index(
            index,
            "sessions",
            ["brand_id", column, "scheduled_at", "id", *trailing],
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        )
