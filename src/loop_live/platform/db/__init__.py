"""Storage: one async interface over PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from loop_live.platform.db.database import Connection, Database, Row, open_database
from loop_live.platform.db.faults import DatabaseLimits, DatabaseUnavailable
from loop_live.platform.db.sql import Sql

__all__ = [
    "Connection",
    "Database",
    "DatabaseLimits",
    "DatabaseUnavailable",
    "Row",
    "Sql",
    "open_database",
]
