"""iCalendar (RFC 5545) for sessions and subscribable feeds (SPEC §13)."""
