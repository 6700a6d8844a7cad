"""Consumer of the notifications service's orders-topic queue: tells the shopper that an
order was placed, confirmed, rejected, cancelled, or that its payment failed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from notifications.handlers.event_notifications import notify_shopper
from petstore_shared.events.catalog import (
    OrderCancelled,
    OrderConfirmed,
    OrderPaymentFailed,
    OrderPaymentRetried,
    OrderPlaced,
    OrderRejected,
)
from petstore_shared.events.consumer import EventConsumer
from petstore_shared.observability import logger, metrics

consumer = EventConsumer(
    "notifications-order-events",
    {
        event_type: notify_shopper
        for event_type in (
            OrderPlaced,
            OrderConfirmed,
            OrderRejected,
            OrderPaymentFailed,
            OrderPaymentRetried,
            OrderCancelled,
        )
    },
)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handle_sqs_batch(event, context)
