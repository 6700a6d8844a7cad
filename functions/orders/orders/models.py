"""The orders service's models: its API bodies and its domain. JSON names are
camelCase; Python names are snake_case."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from petstore_shared.api_models import WHOLE_NUMBER, ApiModel, Page
from petstore_shared.events.catalog import Money

MAX_QUANTITY = 10


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    """Placed; waiting for its stock to be reserved."""
    RESERVED = "RESERVED"
    """Stock held; waiting for the payment."""
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    """Not enough stock (or the pet is gone)."""
    PAYMENT_FAILED = "PAYMENT_FAILED"
    """The payment failed and the stock was released; POST /payments retries it."""
    CANCELLED = "CANCELLED"


PaymentTokenText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$"),
    Field(description="A payment method token from the payment provider, e.g. `tok_visa`."),
]


class PlaceOrderRequest(ApiModel):
    pet_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    quantity: Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY), WHOLE_NUMBER]
    payment_token: PaymentTokenText


class HistoryEntry(ApiModel):
    status: OrderStatus
    at: datetime
    cause: str = Field(description="The event or request that caused the change.")
    reason: str | None = None


class Order(ApiModel):
    order_id: str
    user_id: str
    pet_id: str
    pet_name: str | None = Field(
        default=None,
        description="The pet's name when the order was placed (absent on older orders).",
    )
    quantity: int
    amount: Money = Field(description="Price of the pet times the quantity.")
    status: OrderStatus
    attempt: int = Field(description="Payment attempt: 1, then one more per payment retry.")
    reason: str | None = Field(default=None, description="Why it was rejected or failed.")
    refunded: bool = False
    created_at: datetime
    updated_at: datetime


class OrderWithHistory(Order):
    history: list[HistoryEntry]


class OrderPage(Page[Order]):
    pass


class PetOffer(ApiModel):
    """A pet as the orders service sells it: its copy of what the pets service announced
    last (pet.changed), so it may lag a change by the time the event takes to arrive."""

    pet_id: str
    name: str
    price: Money
    on_sale: bool = Field(
        description="True while the pet's status is `available`; off sale (sold, pending or "
        "deleted), it takes no orders."
    )
    pet_version: int = Field(description="The pet's version this copy was made from.")
