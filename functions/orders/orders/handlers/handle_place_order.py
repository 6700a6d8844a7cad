"""POST /orders (signed-in shopper): place an order; the shopper is the token's user,
never a field of the body."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders.dal.orders_table import orders_table_from_environment
from orders.dal.pet_offers_table import pet_offers_table_from_environment
from orders.logic.place_order import place_order
from orders.models import OrderWithHistory, PlaceOrderRequest
from petstore_shared.caller_identity import CallerIdentity, signed_in_caller
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import SIGNED_IN_USER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.post(
    "/orders",
    operation_id="placeOrder",
    summary="Place an order",
    description=(
        "Accepts the order as PENDING if the pet is on sale (as GET /orders/offers/{petId} "
        "shows it); the saga then reserves the stock, charges the payment token and "
        "confirms the order, or rejects it (out of stock). Follow it with "
        "GET /orders/{orderId}."
    ),
    tags=["orders"],
    security=SIGNED_IN_USER,
    responses={
        201: {"description": "The order, PENDING"},
        200: {"description": "The order this Idempotency-Key placed before"},
        **documented_errors(400, 401, 404, 409, 413, 422),
    },
)
def post_order(
    order_request: Annotated[PlaceOrderRequest, Body()],
    caller: Annotated[CallerIdentity, Depends(signed_in_caller)],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=100,
            pattern=r"^[A-Za-z0-9_.:-]+$",
            description="Repeat the request with the same key to get the same order back.",
        ),
    ] = None,
) -> Response[OrderWithHistory]:
    placed = place_order(
        caller.user_id,
        order_request,
        idempotency_key,
        orders=orders_table_from_environment(),
        offers=pet_offers_table_from_environment(),
    )
    logger.set_correlation_id(placed.order.order_id)
    if placed.created:
        metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
        logger.info("Order placed", extra={"pet_id": placed.order.pet_id})
    return Response(
        status_code=201 if placed.created else 200,
        content_type=content_types.APPLICATION_JSON,
        body=placed.order,
        headers={"Location": f"/orders/{placed.order.order_id}"},
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
