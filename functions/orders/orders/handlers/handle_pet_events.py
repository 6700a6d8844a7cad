"""Consumer of the orders service's pets queue: pet.changed keeps the pet's offer (its
name, price and whether it is on sale) up to date, whatever order its versions arrive in."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders.dal.pet_offers_table import pet_offers_table_from_environment
from orders.logic.keep_pet_offers import keep_pet_offer
from petstore_shared.events.catalog import PetChanged
from petstore_shared.events.consumer import EventConsumer
from petstore_shared.events.envelope import Event
from petstore_shared.observability import logger, metrics


def keep_offer(event: Event[PetChanged]) -> None:
    if keep_pet_offer(event, offers=pet_offers_table_from_environment()):
        logger.info("Pet offer kept", extra={"pet_version": event.data.pet_version})
    else:
        logger.info("Pet offer unchanged: it is at this version or a newer one already")


consumer = EventConsumer("orders-pet-events", {PetChanged: keep_offer})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handle_sqs_batch(event, context)
