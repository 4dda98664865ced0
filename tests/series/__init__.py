"""Series, calendars and reminders (SPEC §13)."""
