"""GET /payments/order/{orderId} (the order's shopper or an admin): the order's payment
attempts, first to last."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments.dal.payments_table import payments_table_from_environment
from payments.logic.read_payments import list_order_payments
from payments.models import PaymentList
from petstore_shared.caller_identity import CallerIdentity, signed_in_caller
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import SIGNED_IN_USER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.get(
    "/payments/order/<orderId>",
    operation_id="listOrderPayments",
    summary="List the payments of an order",
    tags=["payments"],
    security=SIGNED_IN_USER,
    responses={
        200: {"description": "The order's payment attempts"},
        **documented_errors(401, 404, 422),
    },
)
def get_order_payments(
    order_id: Annotated[str, Path(alias="orderId", max_length=100)],
    caller: Annotated[CallerIdentity, Depends(signed_in_caller)],
) -> PaymentList:
    logger.set_correlation_id(order_id)
    return list_order_payments(caller, order_id, payments=payments_table_from_environment())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
