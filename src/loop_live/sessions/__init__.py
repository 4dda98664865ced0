"""Live sessions: scheduling, listing, editing, the admin lifecycle."""
