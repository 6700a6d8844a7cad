"""Data access: the only code that touches the notifications table."""
