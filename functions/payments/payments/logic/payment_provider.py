"""The payment-provider port: what the payments service needs from whoever moves the
money. Both calls take an idempotency key, as real providers do, so repeating a call
after a crash never charges or refunds twice."""

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
        """Raises ProviderUnavailable on a transient failure."""

    def refund(self, request: RefundRequest) -> str:
        """The refund id. Raises ProviderUnavailable on a transient failure."""
