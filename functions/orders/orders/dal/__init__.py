"""Data access: the only code that touches the orders table."""
