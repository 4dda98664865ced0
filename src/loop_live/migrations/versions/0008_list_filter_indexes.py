"""Every session list filter on an index: kind and category, and each of host, community,
kind and category over open sessions only (the `upcoming` pairs)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('scheduled', 'live')")
# name -> the filter column leading the keyset order, and whether only open sessions are kept
INDEXES = {
    "ix_sessions_brand_kind_time": ("kind", False),
    "ix_sessions_brand_category_time": ("category", False),
    "ix_sessions_brand_host_open_time": ("host_id", True),
    "ix_sessions_brand_community_open_time": ("community_slug", True),
    "ix_sessions_brand_kind_open_time": ("kind", True),
    "ix_sessions_brand_category_open_time": ("category", True),
}


def upgrade() -> None:
    for name, (column, only_open) in INDEXES.items():
        where = OPEN if only_open else None
        op.create_index(
            name,
            "sessions",
            ["brand_id", column, "scheduled_at", "id"],
            postgresql_where=where,
            sqlite_where=where,
        )


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="sessions")
