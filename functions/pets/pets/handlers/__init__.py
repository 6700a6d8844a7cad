"""Lambda entry points, one module per API route."""
