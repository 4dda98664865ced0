"""Alembic environment: runs on the connection `loop_live.platform.db.migrate` hands it."""

from __future__ import annotations

from alembic import context

from loop_live.platform.db.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
