"""Ad-hoc provider calls not tied to a session (`/v1/live/calls`)."""
