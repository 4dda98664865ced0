"""Storage: one async interface over PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from loop_live.platform.db import json_text
from loop_live.platform.db.database import Connection, Database, Row, returning
from loop_live.platform.db.engines import open_database
from loop_live.platform.db.faults import DatabaseLimits, DatabaseUnavailable, UnstorableValue
from loop_live.platform.db.sql import Sql

__all__ = [
    "Connection",
    "Database",
    "DatabaseLimits",
    "DatabaseUnavailable",
    "Row",
    "Sql",
    "UnstorableValue",
    "json_text",
    "open_database",
    "returning",
]
