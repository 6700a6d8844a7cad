"""Consumer of the inventory's payments-topic queue: payment.failed releases the failed
attempt's stock, payment.retry_requested reserves stock for the new attempt."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from pets.handlers.inventory_outbox import record_inventory_event
from pets.logic.stock_for_orders import release_for_order, reserve_for_order
from petstore_shared.events.catalog import PaymentFailed, PaymentRetryRequested
from petstore_shared.events.consumer import EventConsumer
from petstore_shared.events.envelope import Event
from petstore_shared.observability import logger, metrics


def release(event: Event[PaymentFailed]) -> None:
    logger.info("Stock release handled", extra={"outcome": release_for_order(event).value})


def reserve_again(event: Event[PaymentRetryRequested]) -> None:
    outcome = reserve_for_order(event, record_event=record_inventory_event)
    logger.info("Reservation handled", extra={"outcome": outcome.event_type})


consumer = EventConsumer(
    "inventory-payment-events", {PaymentFailed: release, PaymentRetryRequested: reserve_again}
)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handle_sqs_batch(event, context)
