"""Reminders before a session starts, as outbox events (SPEC §13)."""
