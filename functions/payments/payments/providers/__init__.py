"""Adapters of the payment-provider port (`payments.logic.payment_provider`)."""

from __future__ import annotations

from functools import cache

from payments.logic.payment_provider import PaymentProvider
from payments.settings import PaymentProviderSettings
from petstore_shared.settings import load_settings


@cache
def payment_provider_from_environment() -> PaymentProvider:
    """The adapter PAYMENT_PROVIDER names; the simulator is the only one so far."""
    from payments.providers.payment_simulator import PaymentSimulator

    settings = load_settings(PaymentProviderSettings)
    return PaymentSimulator(timeout_s=settings.payment_provider_timeout_s)
