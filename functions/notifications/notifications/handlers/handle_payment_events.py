"""Consumer of the notifications service's payments-topic queue: tells the shopper that a
payment went through, failed, or was refunded."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from notifications.handlers.event_notifications import notify_shopper
from petstore_shared.events.catalog import PaymentFailed, PaymentRefunded, PaymentSucceeded
from petstore_shared.events.consumer import EventConsumer
from petstore_shared.observability import logger, metrics

consumer = EventConsumer(
    "notifications-payment-events",
    {
        PaymentSucceeded: notify_shopper,
        PaymentFailed: notify_shopper,
        PaymentRefunded: notify_shopper,
    },
)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handle_sqs_batch(event, context)
