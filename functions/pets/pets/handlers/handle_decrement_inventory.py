"""POST /pets/{petId}/decrementInventory (internal, SigV4): reserve stock for an order.

API Gateway has verified the caller's IAM signature; the handler trusts it. Asking again
for the same order returns the first reservation and takes no more stock.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pets.logic.reserve_stock import reserve_stock
from pets.models import Reservation, StockReservationRequest
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import IAM_CALLER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.post(
    "/pets/<petId>/decrementInventory",
    operation_id="decrementInventory",
    summary="Reserve stock for an order (internal)",
    tags=["pets"],
    security=IAM_CALLER,
    responses={
        200: {"description": "The order's reservation (the first one, when repeated)"},
        **documented_errors(400, 404, 409, 413, 422),
    },
)
def post_decrement_inventory(
    pet_id: Annotated[str, Path(alias="petId", max_length=100)],
    reservation_request: Annotated[StockReservationRequest, Body()],
) -> Reservation:
    return reserve_stock(pet_id, reservation_request.order_id, reservation_request.quantity)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
