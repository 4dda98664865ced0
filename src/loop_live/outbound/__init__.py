"""Outbound webhooks: subscriptions, fan-out of outbox events, signed deliveries (SPEC §12)."""
