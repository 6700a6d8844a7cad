from __future__ import annotations

from datetime import UTC, datetime

from orders.dal.orders_table import OrdersTable, StatusChange
from orders.errors import OrderNotCancellable, OrderNotFound
from orders.logic.place_order import EVENT_SOURCE
from orders.logic.read_orders import may_see
from orders.models import HistoryEntry, Order, OrderStatus, OrderWithHistory
from orders.state_machine import CANCELLABLE
from petstore_shared.caller_identity import CallerIdentity
from petstore_shared.domain_errors import Conflict
from petstore_shared.events.catalog import OrderCancelled
from petstore_shared.events.envelope import new_event

CANCEL_ATTEMPTS = 5
NOTHING_CHARGED = "the payment had failed: nothing was charged"


def cancel_order(caller: CallerIdentity, order_id: str, *, orders: OrdersTable) -> OrderWithHistory:
    """Cancel the caller's order (an admin may cancel any) unless it is already final, and
    announce it (order.cancelled): inventory then releases the stock, payments refunds a
    charge. A PAYMENT_FAILED order can be cancelled too: nothing was charged, and the
    cancellation's history entry says so. The write is conditional on the order as read,
    so it cannot overwrite a status the saga set meanwhile; it reads again and retries
    instead."""
    for _ in range(CANCEL_ATTEMPTS):
        order = orders.find_order(order_id)
        if order is None or not may_see(caller, order):
            raise OrderNotFound(order_id)
        if order.status not in CANCELLABLE:
            raise OrderNotCancellable(order_id, order.status)
        if orders.cancel(order, _cancellation(order, caller)):
            cancelled = orders.find_order_with_history(order_id)
            assert cancelled is not None
            return cancelled
    raise Conflict(f"Order '{order_id}' kept changing; try again.")


def _cancellation(order: Order, caller: CallerIdentity) -> StatusChange:
    now = datetime.now(UTC)
    cause = (
        "cancelled by the shopper" if caller.user_id == order.user_id else "cancelled by an admin"
    )
    event = OrderCancelled(
        order_id=order.order_id,
        user_id=order.user_id,
        pet_id=order.pet_id,
        pet_name=order.pet_name,
        quantity=order.quantity,
        attempt=order.attempt,
        previous_status=order.status.value,
    )
    reason = NOTHING_CHARGED if order.status is OrderStatus.PAYMENT_FAILED else None
    return StatusChange(
        entry=HistoryEntry(status=OrderStatus.CANCELLED, at=now, cause=cause, reason=reason),
        attempt=order.attempt,
        event=new_event(event, source=EVENT_SOURCE, time=now),
    )
