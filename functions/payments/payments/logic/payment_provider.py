"""The payment-provider port: what the payments service needs from whoever moves the
money. Both calls take an idempotency key, as real providers do, so repeating a call
after a crash never charges or refunds twice.

An adapter answers or raises ProviderUnavailable within the timeout it is built with
(PAYMENT_PROVIDER_TIMEOUT_S, a small share of the consumer's budget): a provider that
does not answer in time is unavailable for this call, and the charge is tried again
later on its own schedule (payments.logic.charge_order)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from petstore_shared.events.catalog import Money


@dataclass(frozen=True)
class ChargeRequest:
    idempotency_key: str
    payment_token: str
    amount: Money
    attempt_number: int
    """How many times this charge has been tried, this time included."""


@dataclass(frozen=True)
class ChargeApproved:
    charge_id: str


@dataclass(frozen=True)
class ChargeDeclined:
    reason: str


@dataclass(frozen=True)
class RefundRequest:
    idempotency_key: str
    charge_id: str
    amount: Money


class ProviderUnavailable(Exception):
    """A transient failure: the same call may succeed if tried again later."""


class PaymentProvider(Protocol):
    def charge(self, request: ChargeRequest) -> ChargeApproved | ChargeDeclined:
        """Raises ProviderUnavailable on a transient failure or once the adapter's
        timeout has passed without an answer."""

    def refund(self, request: RefundRequest) -> str:
        """The refund id. Raises ProviderUnavailable on a transient failure."""
