"""Use cases of the Payments service, one module per use case."""
