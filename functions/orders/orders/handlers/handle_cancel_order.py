"""PUT /orders/{orderId}/cancel (the order's shopper or an admin): cancel an order that
is not final yet, or whose payment failed; its stock is released and a charge refunded."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders.dal.orders_table import orders_table_from_environment
from orders.handlers.order_status_updates import count_saga_duration
from orders.logic.cancel_order import cancel_order
from orders.models import OrderWithHistory
from petstore_shared.caller_identity import CallerIdentity, signed_in_caller
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import SIGNED_IN_USER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.put(
    "/orders/<orderId>/cancel",
    operation_id="cancelOrder",
    summary="Cancel an order",
    description=(
        "Allowed while the order is PENDING, RESERVED, CONFIRMED or PAYMENT_FAILED; the "
        "stock goes back to the pet and a payment already taken is refunded (once). A "
        "PAYMENT_FAILED order was never charged: the cancellation's history entry says "
        "so (reason `the payment had failed: nothing was charged`). REJECTED and "
        "CANCELLED orders answer 409."
    ),
    tags=["orders"],
    security=SIGNED_IN_USER,
    responses={
        200: {"description": "The cancelled order"},
        **documented_errors(401, 404, 422),
        409: {
            **documented_errors(409)[409],
            "description": "OrderNotCancellable: the order is REJECTED or CANCELLED",
        },
    },
)
def put_cancel_order(
    order_id: Annotated[str, Path(alias="orderId", max_length=100)],
    caller: Annotated[CallerIdentity, Depends(signed_in_caller)],
) -> OrderWithHistory:
    logger.set_correlation_id(order_id)
    cancelled = cancel_order(caller, order_id, orders=orders_table_from_environment())
    metrics.add_metric(name="OrdersCancelled", unit=MetricUnit.Count, value=1)
    count_saga_duration(cancelled)
    logger.info("Order cancelled")
    return cancelled


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
