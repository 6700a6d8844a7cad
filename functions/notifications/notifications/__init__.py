"""Notifications service: tells shoppers what happens to their orders and payments, and
delivers custom notifications from internal callers."""
