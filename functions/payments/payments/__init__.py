"""Payments service: charges an order once its stock is reserved, refunds a charge when
the order is cancelled, and lets a shopper retry a failed payment."""
