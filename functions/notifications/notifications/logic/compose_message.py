"""What a shopper is told about each event of their order and its payments."""

from __future__ import annotations

from dataclasses import dataclass

from petstore_shared.events.catalog import (
    OrderCancelled,
    OrderConfirmed,
    OrderPaymentFailed,
    OrderPaymentRetried,
    OrderPlaced,
    OrderRef,
    OrderRejected,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
)


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def message_about(data: OrderRef) -> Message | None:
    """The message for a saga event, or None for one shoppers are not told about."""
    order = f"order {data.order_id}"
    match data:
        case OrderPlaced(amount=amount):
            return Message(
                "Order received",
                f"We received {order}: {data.quantity} x pet {data.pet_id}, {amount.written()}.",
            )
        case OrderConfirmed():
            return Message("Order confirmed", f"Your {order} is confirmed.")
        case OrderRejected(reason=reason):
            return Message(
                "Order rejected",
                f"Sorry, we could not reserve pet {data.pet_id} for {order} ({reason}).",
            )
        case OrderPaymentFailed(reason=reason):
            return Message(
                "Payment failed",
                f"The payment for {order} failed ({reason}). You can retry it with another "
                "payment method.",
            )
        case OrderPaymentRetried():
            return Message("Payment retry", f"We are retrying the payment for {order}.")
        case OrderCancelled():
            return Message("Order cancelled", f"Your {order} was cancelled.")
        case PaymentSucceeded(amount=amount):
            return Message("Payment received", f"We charged {amount.written()} for {order}.")
        case PaymentFailed(amount=amount, reason=reason):
            return Message(
                "Payment declined",
                f"The charge of {amount.written()} for {order} failed ({reason}).",
            )
        case PaymentRefunded(amount=amount):
            return Message("Refund issued", f"We refunded {amount.written()} for {order}.")
    return None
