"""The payments service's models: its API bodies and its domain. JSON names are
camelCase; Python names are snake_case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from petstore_shared.api_models import ApiModel
from petstore_shared.events.catalog import Money


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    """Waiting for its charge (the stock reservation comes first)."""
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    """Declined, or the provider stayed unavailable; `reason` says which."""
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"
    """The order was cancelled (or rejected: its stock was gone) before this attempt was
    charged; `reason` says `order_rejected` for the latter."""


class Payment(ApiModel):
    """One payment attempt of an order."""

    payment_id: str
    order_id: str
    user_id: str
    attempt: int
    amount: Money
    status: PaymentStatus
    reason: str | None = None
    charge_id: str | None = None
    refund_id: str | None = None
    created_at: datetime
    updated_at: datetime


class PaymentList(ApiModel):
    items: list[Payment] = Field(description="Attempts of the order, first to last.")


class PaymentRequest(ApiModel):
    order_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    payment_token: Annotated[
        str,
        StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$"),
        Field(description="A payment method token, e.g. `tok_visa`."),
    ]


class ChargeState(StrEnum):
    """Where the order's latest payment attempt stands."""

    CHARGING = "CHARGING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    RETRY_REQUESTED = "RETRY_REQUESTED"
    RETRY_DROPPED = "RETRY_DROPPED"
    """The order was cancelled, or rejected, before the requested retry was charged."""


@dataclass(frozen=True)
class OrderLedger:
    """The payments service's one record per order: the single item every charge,
    refund and retry decision is a conditional write on."""

    order_id: str
    user_id: str
    pet_id: str
    quantity: int
    amount: Money | None
    attempt: int | None
    """The latest payment attempt; None when no charge was ever started."""
    state: ChargeState | None
    retryable_attempt: int | None
    """The attempt the orders service has marked PAYMENT_FAILED (order.payment_failed)."""
    succeeded_payment_id: str | None
    cancelled: bool
    refunded: bool
    rejected: bool = False
    """The order ended REJECTED (inventory.rejected): its stock could not be reserved."""
    pet_name: str | None = None
    """The pet's name when the order was placed (absent on ledgers from before names)."""
