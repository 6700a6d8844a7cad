"""The default payment provider: every saga path can be driven with a test token."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.logic.payment_provider import (
    ChargeApproved,
    ChargeDeclined,
    ChargeRequest,
    ProviderUnavailable,
    RefundRequest,
)
from payments.providers.payment_simulator import PaymentSimulator
from petstore_shared.events.catalog import Money

AMOUNT = Money(amount=Decimal("10.00"), currency="EUR")


def charge(
    token: str, attempt_number: int = 1, key: str = "pay-1"
) -> ChargeApproved | ChargeDeclined:
    return PaymentSimulator().charge(ChargeRequest(key, token, AMOUNT, attempt_number))


@pytest.mark.parametrize("token", ["tok_visa", "tok_mastercard", "tok_amex"])
def test_card_tokens_are_approved(token: str) -> None:
    assert isinstance(charge(token), ChargeApproved)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("tok_decline", "card_declined"),
        ("tok_insufficient_funds", "insufficient_funds"),
        ("tok_unheard_of", "invalid_token"),
    ],
)
def test_decline_tokens_are_declined_with_their_reason(token: str, reason: str) -> None:
    assert charge(token) == ChargeDeclined(reason=reason)


def test_a_transient_token_fails_for_its_first_n_attempts_then_is_approved() -> None:
    for attempt in (1, 2, 3):
        with pytest.raises(ProviderUnavailable):
            charge("tok_transient_3", attempt)

    assert isinstance(charge("tok_transient_3", 4), ChargeApproved)


def test_the_same_idempotency_key_gives_the_same_charge_and_refund() -> None:
    first, again, other = charge("tok_visa"), charge("tok_visa"), charge("tok_visa", key="pay-2")

    assert first == again != other
    refund = RefundRequest("refund/pay-1", "ch_1", AMOUNT)
    assert PaymentSimulator().refund(refund) == PaymentSimulator().refund(refund)
