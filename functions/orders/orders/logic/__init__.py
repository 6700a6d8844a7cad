"""Use cases of the Orders service, one module per use case."""
