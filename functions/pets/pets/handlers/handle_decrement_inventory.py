"""POST /pets/{petId}/decrementInventory (internal, SigV4): hold stock for an order.

API Gateway has verified the caller's IAM signature; the handler trusts it. The hold
lasts `holdSeconds` unless the order's saga takes it over when the order is placed; the
same caller asking again for the same order gets the first hold and takes no more stock.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pets.handlers.signed_caller import signed_caller_arn
from pets.logic.hold_stock import hold_stock
from pets.models import InventoryHold, StockReservationRequest
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import IAM_CALLER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.post(
    "/pets/<petId>/decrementInventory",
    operation_id="decrementInventory",
    summary="Hold stock for an order until its saga takes it over (internal)",
    description=(
        "Takes the quantity from the pet's stock for the order (a UUID the orders service "
        "gave it) for `holdSeconds`. When the order is placed, its saga's reservation takes "
        "the hold over; otherwise the hold expires, and its stock goes back to the pet when "
        "a reservation needs it. releaseInventory gives it back sooner."
    ),
    tags=["pets"],
    security=IAM_CALLER,
    responses={
        200: {"description": "The order's hold (the first one, when repeated)"},
        **documented_errors(400, 404, 409, 413, 422),
    },
)
def post_decrement_inventory(
    pet_id: Annotated[str, Path(alias="petId", max_length=100)],
    reservation_request: Annotated[StockReservationRequest, Body()],
    holder: Annotated[str, Depends(signed_caller_arn)],
) -> InventoryHold:
    return hold_stock(
        pet_id,
        reservation_request.order_id,
        reservation_request.quantity,
        reservation_request.hold_seconds,
        holder,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
