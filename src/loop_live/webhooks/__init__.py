"""The video provider's webhooks: a signed, deduplicated inbox that moves sessions and calls."""
