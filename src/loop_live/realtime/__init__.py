"""Server-sent events (SPEC §14): session changes announced by the writing transaction reach
every process's subscribers (PostgreSQL LISTEN/NOTIFY; in-process on SQLite)."""
