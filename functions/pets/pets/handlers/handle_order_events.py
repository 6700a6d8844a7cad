"""Consumer of the inventory's orders-topic queue: order.placed reserves the order's
stock (inventory.reserved | inventory.rejected), order.cancelled releases it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from pets.handlers.inventory_outbox import record_inventory_event
from pets.logic.stock_for_orders import release_for_cancelled_order, reserve_for_order
from petstore_shared.events.catalog import OrderCancelled, OrderPlaced
from petstore_shared.events.consumer import EventConsumer
from petstore_shared.events.envelope import Event
from petstore_shared.observability import logger, metrics


def reserve(event: Event[OrderPlaced]) -> None:
    outcome = reserve_for_order(event, record_event=record_inventory_event)
    logger.info("Reservation handled", extra={"outcome": outcome.event_type})


def release(event: Event[OrderCancelled]) -> None:
    outcome = release_for_cancelled_order(event)
    logger.info("Stock release handled", extra={"outcome": outcome.value})


consumer = EventConsumer("inventory-order-events", {OrderPlaced: reserve, OrderCancelled: release})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handle_sqs_batch(event, context)
