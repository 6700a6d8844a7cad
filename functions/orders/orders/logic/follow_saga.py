from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orders.dal.orders_table import OrdersTable, StatusChange
from orders.logic.place_order import EVENT_SOURCE
from orders.models import HistoryEntry, OrderStatus
from orders.state_machine import TRANSITION_BY_EVENT
from petstore_shared.events.catalog import (
    InventoryRejected,
    InventoryReserved,
    OrderConfirmed,
    OrderPaymentFailed,
    OrderPaymentRetried,
    OrderRef,
    OrderRejected,
    OrderReserved,
    PaymentFailed,
    PaymentRefunded,
    PaymentRetryRequested,
    PaymentSucceeded,
)
from petstore_shared.events.envelope import Event, EventData, derived_event_id, new_event


def apply_saga_event(event: Event[Any], *, orders: OrdersTable) -> OrderStatus | None:
    """Move the order as the event says, if its state machine allows it from where the
    order is now, and announce the new status; the new status, or None if the event was
    late, repeated or out of order and changed nothing."""
    data: OrderRef = event.data
    transition = TRANSITION_BY_EVENT[type(data)]
    now = datetime.now(UTC)
    reason = getattr(data, "reason", None)
    announcement = _announcement(data)
    change = StatusChange(
        entry=HistoryEntry(status=transition.target, at=now, cause=event.type, reason=reason),
        attempt=data.attempt,
        event=new_event(
            announcement,
            source=EVENT_SOURCE,
            event_id=derived_event_id(data.order_id, announcement.event_type, data.attempt),
            time=now,
        ),
    )
    if orders.apply_transition(data.order_id, transition, change):
        return transition.target
    return None


def record_refund(event: Event[PaymentRefunded], *, orders: OrdersTable) -> bool:
    """Note the refund in the cancelled order's history; False if noted before."""
    entry = HistoryEntry(status=OrderStatus.CANCELLED, at=datetime.now(UTC), cause=event.type)
    return orders.record_refund(event.data.order_id, entry)


def _announcement(data: OrderRef) -> EventData:
    """The orders service's own event for the status an incoming event leads to."""
    ref = data.order_fields()
    match data:
        case InventoryReserved():
            return OrderReserved(**ref)
        case InventoryRejected(reason=reason):
            return OrderRejected(**ref, reason=reason)
        case PaymentSucceeded(payment_id=payment_id, amount=amount):
            return OrderConfirmed(**ref, payment_id=payment_id, amount=amount)
        case PaymentFailed(reason=reason):
            return OrderPaymentFailed(**ref, reason=reason)
        case PaymentRetryRequested():
            return OrderPaymentRetried(**ref)
    raise TypeError(f"Orders do not follow {data.event_type} events")
