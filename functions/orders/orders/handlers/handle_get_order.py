"""GET /orders/{orderId} (the order's shopper or an admin): one order with its status
history."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders.dal.orders_table import orders_table_from_environment
from orders.logic.read_orders import get_order
from orders.models import OrderWithHistory
from petstore_shared.caller_identity import CallerIdentity, signed_in_caller
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import SIGNED_IN_USER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.get(
    "/orders/<orderId>",
    operation_id="getOrder",
    summary="Get one order with its status history",
    tags=["orders"],
    security=SIGNED_IN_USER,
    responses={
        200: {"description": "The order"},
        **documented_errors(401, 404, 422),
    },
)
def get_one_order(
    order_id: Annotated[str, Path(alias="orderId", max_length=100)],
    caller: Annotated[CallerIdentity, Depends(signed_in_caller)],
) -> OrderWithHistory:
    logger.set_correlation_id(order_id)
    return get_order(caller, order_id, orders=orders_table_from_environment())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
