"""The database bounds, read from settings (kept apart so the storage layer needs no settings)."""

from __future__ import annotations

from loop_live.platform.db.faults import DatabaseLimits
from loop_live.platform.settings import Settings


def database_limits(settings: Settings) -> DatabaseLimits:
    return DatabaseLimits(
        acquire_timeout_seconds=settings.database_acquire_timeout_seconds,
        statement_timeout_ms=settings.database_statement_timeout_ms,
        lock_timeout_ms=settings.database_lock_timeout_ms,
        busy_timeout_ms=settings.database_busy_timeout_ms,
    )
