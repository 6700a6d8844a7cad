"""The payment simulator's timeout token: the provider keeps the caller waiting, then
fails transiently, for the first N attempts; the same idempotency key then charges once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.logic.payment_provider import ChargeApproved, ChargeRequest, ProviderUnavailable
from payments.providers.payment_simulator import TIMEOUT_S, PaymentSimulator
from petstore_shared.events.catalog import Money

AMOUNT = Money(amount=Decimal("10.00"), currency="EUR")


def test_a_timeout_token_keeps_the_caller_waiting_then_fails_for_its_first_n_attempts() -> None:
    waited: list[float] = []
    simulator = PaymentSimulator(sleep=waited.append)

    for attempt in (1, 2):
        with pytest.raises(ProviderUnavailable, match="timeout"):
            simulator.charge(ChargeRequest("pay-1", "tok_timeout_2", AMOUNT, attempt))

    assert waited == [TIMEOUT_S, TIMEOUT_S]


def test_after_its_timeouts_the_charge_is_approved_once_per_idempotency_key() -> None:
    simulator = PaymentSimulator(sleep=lambda _: None)

    third = simulator.charge(ChargeRequest("pay-1", "tok_timeout_2", AMOUNT, 3))
    fourth = simulator.charge(ChargeRequest("pay-1", "tok_timeout_2", AMOUNT, 4))

    assert isinstance(third, ChargeApproved)
    assert third == fourth
