"""POST /payments (the order's shopper or an admin): pay, or retry the failed payment
of, an order. Idempotent per order; see payments.logic.request_payment."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments.dal.payments_table import payments_table_from_environment
from payments.logic.request_payment import PaymentAnswer, request_payment
from payments.models import Payment, PaymentRequest
from petstore_shared.caller_identity import CallerIdentity, signed_in_caller
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import SIGNED_IN_USER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()

DESCRIPTION = """Idempotent per order; the answer depends on where the order's payment stands:

- **200**: the order is paid already; the succeeded payment is returned and nothing is
  charged again.
- **202**: a charge is under way (the one started when the stock was reserved, or a
  retry asked for before); that payment is returned. The token is not used.
- **202**: the latest payment failed and the order is `PAYMENT_FAILED`: a new payment
  attempt (`PENDING`) is created with the given `paymentToken`. The order becomes
  `PENDING` again, its stock is reserved again, and the new attempt is charged; the order
  ends `CONFIRMED`, `PAYMENT_FAILED` (retry again) or `REJECTED` (stock gone meanwhile).
  Repeating the request returns the same attempt.
- **409** `OrderCancelled`: the order was cancelled.
- **409** `PaymentFailureNotFinal`: the payment failed moments ago and the order is not
  `PAYMENT_FAILED` yet; repeat the request shortly.
- **404**: no payment was ever started for the order (it does not exist, is someone
  else's, or its stock was never reserved).
"""


@app.post(
    "/payments",
    operation_id="requestPayment",
    summary="Pay an order, or retry its failed payment",
    description=DESCRIPTION,
    tags=["payments"],
    security=SIGNED_IN_USER,
    responses={
        200: {"description": "Already paid: the succeeded payment"},
        202: {"description": "The payment under way, or the new attempt"},
        **documented_errors(400, 401, 404, 409, 413, 422),
    },
)
def post_payment(
    payment_request: Annotated[PaymentRequest, Body()],
    caller: Annotated[CallerIdentity, Depends(signed_in_caller)],
) -> Response[Payment]:
    logger.set_correlation_id(payment_request.order_id)
    outcome = request_payment(caller, payment_request, payments=payments_table_from_environment())
    logger.info("Payment requested", extra={"answer": outcome.answer.value})
    return Response(
        status_code=200 if outcome.answer is PaymentAnswer.ALREADY_PAID else 202,
        content_type=content_types.APPLICATION_JSON,
        body=outcome.payment,
        headers={"Location": f"/payments/{outcome.payment.payment_id}"},
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
