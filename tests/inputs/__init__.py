"""No input makes the service answer 500 (SPEC §11): instants, bodies, query strings, webhooks."""
