"""What both of the orders service's event consumers do with a saga event: apply it to
the order, log and count the outcome; an order that reaches a terminal status also counts
the saga's duration, from its placement."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from orders.dal.orders_table import orders_table_from_environment
from orders.logic.follow_saga import apply_saga_event
from orders.models import Order, OrderStatus
from petstore_shared.events.envelope import Event
from petstore_shared.observability import logger, metrics

METRIC_BY_STATUS = {
    OrderStatus.CONFIRMED: "OrdersConfirmed",
    OrderStatus.REJECTED: "OrdersRejected",
    OrderStatus.PAYMENT_FAILED: "OrdersPaymentFailed",
}


def update_order_status(event: Event[Any]) -> None:
    orders = orders_table_from_environment()
    status = apply_saga_event(event, orders=orders)
    if status is None:
        logger.info("Order unchanged: the event is late, repeated or out of order")
        return
    logger.info("Order status changed", extra={"status": status.value})
    if status in METRIC_BY_STATUS:
        metrics.add_metric(name=METRIC_BY_STATUS[status], unit=MetricUnit.Count, value=1)
        order = orders.find_order(event.data.order_id)
        if order is not None:
            count_saga_duration(order)


def count_saga_duration(order: Order) -> None:
    """SagaDuration: from the order's placement to the terminal status it just reached."""
    elapsed_ms = (order.updated_at - order.created_at).total_seconds() * 1000
    metrics.add_metric(name="SagaDuration", unit=MetricUnit.Milliseconds, value=elapsed_ms)
