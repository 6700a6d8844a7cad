"""What a shopper is told about each event of their order and its payments: the short
text stored with the notification, and the e-mail template with the fields it fills in."""

from __future__ import annotations

from dataclasses import dataclass, field

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

GENERIC_TEMPLATE = "notification"
"""The e-mail of a notification with no template of its own: its subject and text."""
CUSTOM_TEMPLATE = "custom"


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    template: str = GENERIC_TEMPLATE
    fields: dict[str, str] = field(default_factory=dict)


def message_about(data: OrderRef) -> Message | None:
    """The message for a saga event, or None for one shoppers are not told about."""
    message = _message_about(data)
    if message is None:
        return None
    fields = {
        "subject": message.subject,
        "message": message.text,
        "order_id": data.order_id,
        "pet": _pet(data),
        "quantity": str(data.quantity),
        **message.fields,
    }
    return Message(message.subject, message.text, message.template, fields)


def _pet(data: OrderRef) -> str:
    """The pet as the shopper knows it: by name, and by id on events from before names."""
    return data.pet_name or data.pet_id


def _message_about(data: OrderRef) -> Message | None:
    order = f"order {data.order_id}"
    match data:
        case OrderPlaced(amount=amount):
            return Message(
                "Order received",
                f"We received {order}: {data.quantity} x {_pet(data)}, {amount.written()}.",
            )
        case OrderConfirmed(amount=amount):
            text = f"Your {order} is confirmed."
            if amount is None:
                return Message("Order confirmed", text)
            return Message("Order confirmed", text, "order_confirmed", {"amount": amount.written()})
        case OrderRejected(reason=reason):
            return Message(
                "Order rejected",
                f"Sorry, we could not reserve {_pet(data)} for {order} ({reason}).",
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
            return Message("Order cancelled", f"Your {order} was cancelled.", "order_cancelled")
        case PaymentSucceeded(amount=amount):
            return Message("Payment received", f"We charged {amount.written()} for {order}.")
        case PaymentFailed(amount=amount, reason=reason):
            return Message(
                "Payment declined",
                f"The charge of {amount.written()} for {order} failed ({reason}).",
                "payment_declined",
                {"amount": amount.written(), "reason": reason},
            )
        case PaymentRefunded(amount=amount):
            return Message(
                "Refund issued",
                f"We refunded {amount.written()} for {order}.",
                "refund_issued",
                {"amount": amount.written()},
            )
    return None
