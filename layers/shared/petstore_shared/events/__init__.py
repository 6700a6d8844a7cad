"""Events between the services: the versioned envelope and its typed payloads, the
event bus and its transports, the transactional outbox and the consumer scaffolding."""
