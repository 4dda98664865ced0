"""Recurring series of sessions (SPEC §13): a rule in an IANA zone, materialised as sessions."""
