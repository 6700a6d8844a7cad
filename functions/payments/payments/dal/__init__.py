"""Data access: the only code that touches the payments table."""
