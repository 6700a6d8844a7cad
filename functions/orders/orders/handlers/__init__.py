"""Lambda entry points: one module per API route and per event consumer."""
