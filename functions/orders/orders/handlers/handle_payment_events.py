"""Consumer of the orders service's payments queue: payment.succeeded confirms the
order, payment.failed marks it PAYMENT_FAILED, payment.retry_requested makes a failed
order PENDING again, payment.refunded notes the refund of a cancelled order."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders.dal.orders_table import orders_table_from_environment
from orders.handlers.order_status_updates import update_order_status
from orders.logic.follow_saga import record_refund
from petstore_shared.events.catalog import (
    PaymentFailed,
    PaymentRefunded,
    PaymentRetryRequested,
    PaymentSucceeded,
)
from petstore_shared.events.consumer import EventConsumer
from petstore_shared.events.envelope import Event
from petstore_shared.observability import logger, metrics


def note_refund(event: Event[PaymentRefunded]) -> None:
    if record_refund(event, orders=orders_table_from_environment()):
        logger.info("Refund noted on the order")


consumer = EventConsumer(
    "orders-payment-events",
    {
        PaymentSucceeded: update_order_status,
        PaymentFailed: update_order_status,
        PaymentRetryRequested: update_order_status,
        PaymentRefunded: note_refund,
    },
)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handle_sqs_batch(event, context)
