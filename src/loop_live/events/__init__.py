"""Events out (SPEC §12): the outbox dispatcher, NATS JetStream and the scheduled jobs."""
