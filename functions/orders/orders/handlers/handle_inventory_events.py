"""Consumer of the orders service's inventory queue: inventory.reserved moves a PENDING
order to RESERVED, inventory.rejected to REJECTED."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders.handlers.order_status_updates import update_order_status
from petstore_shared.events.catalog import InventoryRejected, InventoryReserved
from petstore_shared.events.consumer import EventConsumer
from petstore_shared.observability import logger, metrics

consumer = EventConsumer(
    "orders-inventory-events",
    {InventoryReserved: update_order_status, InventoryRejected: update_order_status},
)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handle_sqs_batch(event, context)
