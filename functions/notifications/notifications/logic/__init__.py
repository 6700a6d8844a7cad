"""Use cases of the Notifications service, one module per use case."""
