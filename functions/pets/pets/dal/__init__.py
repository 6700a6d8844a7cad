"""Data access: the only code that touches the pets table."""
