"""Adapters of the payment-provider port (`payments.logic.payment_provider`)."""
