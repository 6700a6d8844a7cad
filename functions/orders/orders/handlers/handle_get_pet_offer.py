"""GET /orders/offers/{petId} (public): the pet as the orders service sells it, the
price an order placed now would be charged. The offer follows the pets service's
changes a moment later, so a pet just added is not found until its event arrives."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders.dal.pet_offers_table import pet_offers_table_from_environment
from orders.logic.read_offers import offer_on_sale
from orders.models import PetOffer
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.get(
    "/orders/offers/<petId>",
    operation_id="getPetOffer",
    summary="Get the offer orders are placed at for one pet",
    tags=["orders"],
    responses={200: {"description": "The pet on sale"}, **documented_errors(404, 422)},
)
def get_pet_offer(pet_id: Annotated[str, Path(alias="petId", max_length=100)]) -> PetOffer:
    return offer_on_sale(pet_id, offers=pet_offers_table_from_environment())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
