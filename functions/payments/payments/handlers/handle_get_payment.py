"""GET /payments/{paymentId} (the payment's shopper or an admin): one payment."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments.dal.payments_table import payments_table_from_environment
from payments.logic.read_payments import get_payment
from payments.models import Payment
from petstore_shared.caller_identity import CallerIdentity, signed_in_caller
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import SIGNED_IN_USER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.get(
    "/payments/<paymentId>",
    operation_id="getPayment",
    summary="Get one payment",
    tags=["payments"],
    security=SIGNED_IN_USER,
    responses={200: {"description": "The payment"}, **documented_errors(401, 404, 422)},
)
def get_one_payment(
    payment_id: Annotated[str, Path(alias="paymentId", max_length=100)],
    caller: Annotated[CallerIdentity, Depends(signed_in_caller)],
) -> Payment:
    payment = get_payment(caller, payment_id, payments=payments_table_from_environment())
    logger.set_correlation_id(payment.order_id)
    return payment


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
