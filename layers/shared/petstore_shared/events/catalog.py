"""Every event type of the pet store, one payload model each.

The order saga (see docs/architecture.md):

    order.placed        -> inventory reserves -> inventory.reserved | inventory.rejected
    inventory.reserved  -> payments charges   -> payment.succeeded | payment.failed
    payment.failed      -> inventory releases; POST /payments -> payment.retry_requested
    payment.retry_requested -> inventory reserves again for the next attempt
    order.cancelled     -> inventory releases; payments refunds -> payment.refunded

Every saga event carries the order's summary (`OrderRef`), so a consumer never has to
read another service's data. `attempt` counts payment attempts of the order: 1 at
first, one more each time the shopper retries a failed payment.

Outside the saga, the pets service announces every change of a pet (`pet.changed`), from
which the orders service keeps the offers it takes orders for.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema, field_serializer

from petstore_shared.events.envelope import CamelModel, EventData, Topic
from petstore_shared.money import WRITTEN_AMOUNT, written_amount

Identifier = Annotated[str, Field(min_length=1, max_length=100)]
Reason = Annotated[str, Field(min_length=1, max_length=200)]
PaymentToken = Annotated[str, Field(min_length=1, max_length=200)]


class Money(CamelModel):
    amount: Annotated[
        Decimal,
        Field(gt=0, max_digits=12, decimal_places=2),
        WithJsonSchema(
            {"type": "string", "pattern": WRITTEN_AMOUNT, "examples": ["450.00", "1500"]},
            mode="serialization",
        ),
    ]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]

    @field_serializer("amount", when_used="json")
    def _write_amount(self, amount: Decimal) -> str:
        return written_amount(amount, self.currency)

    def written(self) -> str:
        """As a shopper reads it: "200.00 USD"."""
        return f"{written_amount(self.amount, self.currency)} {self.currency}"


class OrderRef(EventData):
    """What every saga event says about its order."""

    order_id: Identifier
    user_id: Identifier
    pet_id: Identifier
    pet_name: str | None = Field(
        default=None,
        max_length=200,
        description="The pet's name when the order was placed (absent on older events).",
    )
    quantity: Annotated[int, Field(ge=1)]
    attempt: Annotated[int, Field(ge=1, description="Payment attempt of the order")] = 1

    def correlation_id(self) -> str:
        return self.order_id

    def order_fields(self) -> dict[str, Any]:
        """The order summary, for the event this one leads to."""
        return self.model_dump(include=set(OrderRef.model_fields), by_alias=False)


class OrderTopicEvent(OrderRef):
    topic = Topic.ORDERS


class PaymentTopicEvent(OrderRef):
    topic = Topic.PAYMENTS


class OrderPlaced(OrderTopicEvent):
    event_type = "order.placed"
    amount: Money
    payment_token: PaymentToken


class OrderReserved(OrderTopicEvent):
    event_type = "order.reserved"


class OrderConfirmed(OrderTopicEvent):
    event_type = "order.confirmed"
    payment_id: Identifier
    amount: Money | None = Field(
        default=None, description="What the shopper was charged (absent on older events)."
    )


class OrderRejected(OrderTopicEvent):
    event_type = "order.rejected"
    reason: Reason


class OrderPaymentFailed(OrderTopicEvent):
    event_type = "order.payment_failed"
    reason: Reason


class OrderPaymentRetried(OrderTopicEvent):
    """The order is pending again: its shopper retried a failed payment (`attempt`)."""

    event_type = "order.payment_retried"


class OrderCancelled(OrderTopicEvent):
    event_type = "order.cancelled"
    previous_status: Identifier


class InventoryReserved(OrderTopicEvent):
    """Stock is held for the order's attempt; carries what payments needs to charge."""

    event_type = "inventory.reserved"
    amount: Money
    payment_token: PaymentToken


class InventoryRejected(OrderTopicEvent):
    event_type = "inventory.rejected"
    reason: Reason


class PaymentSucceeded(PaymentTopicEvent):
    event_type = "payment.succeeded"
    payment_id: Identifier
    amount: Money


class PaymentFailed(PaymentTopicEvent):
    event_type = "payment.failed"
    payment_id: Identifier
    amount: Money
    reason: Reason


class PaymentRefunded(PaymentTopicEvent):
    event_type = "payment.refunded"
    payment_id: Identifier
    refund_id: Identifier
    amount: Money


class PaymentRetryRequested(PaymentTopicEvent):
    """The shopper asked to pay a PAYMENT_FAILED order again (`attempt` is the new one)."""

    event_type = "payment.retry_requested"
    payment_id: Identifier
    amount: Money
    payment_token: PaymentToken


class PetChanged(EventData):
    """A pet as it is after an admin added, changed or deleted it: everything another
    service needs to sell it. `petVersion` grows with every change of the pet, so a copy
    kept from these events applies one only when it is newer than what it holds."""

    event_type = "pet.changed"
    topic = Topic.ORDERS
    pet_id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=100)]
    price: Money
    on_sale: bool = Field(
        description="True while the pet's status is `available`; off sale (sold, pending or "
        "deleted), it takes no orders."
    )
    pet_version: Annotated[int, Field(ge=1)]

    def correlation_id(self) -> str:
        return self.pet_id


class NotificationSent(EventData):
    """A notification delivered to a shopper (subscribers of the notifications topic
    forward it by e-mail, SMS, push...)."""

    event_type = "notification.sent"
    topic = Topic.NOTIFICATIONS
    notification_id: Identifier
    user_id: Identifier
    subject: Annotated[str, Field(min_length=1, max_length=200)]
    message: Annotated[str, Field(min_length=1, max_length=2000)]
    order_id: Identifier | None = None

    def correlation_id(self) -> str:
        return self.order_id or self.notification_id


EVENT_DATA_MODELS: tuple[type[EventData], ...] = (
    OrderPlaced,
    OrderReserved,
    OrderConfirmed,
    OrderRejected,
    OrderPaymentFailed,
    OrderPaymentRetried,
    OrderCancelled,
    InventoryReserved,
    InventoryRejected,
    PaymentSucceeded,
    PaymentFailed,
    PaymentRefunded,
    PaymentRetryRequested,
    PetChanged,
    NotificationSent,
)
