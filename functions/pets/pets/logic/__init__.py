"""Use cases of the Pet Inventory service, one module per use case."""
