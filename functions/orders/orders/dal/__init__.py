"""Data access: the only code that touches the orders table (and reads the pets table)."""
