"""Message buses: in-process and NATS JetStream."""
