"""POST /payments (the order's shopper or an admin): retry the failed payment of an
order; see payments.logic.request_payment."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments.dal.payments_table import payments_table_from_environment
from payments.logic.request_payment import request_payment
from payments.models import Payment, PaymentRequest
from petstore_shared.caller_identity import CallerIdentity, signed_in_caller
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import SIGNED_IN_USER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()

DESCRIPTION = """An order is charged by itself once its stock is reserved, with the token
given when it was placed; this request pays again an order whose payment failed. The
answer depends on where the order's payment stands:

- **202**: the latest payment failed and the order is `PAYMENT_FAILED`: a new payment
  attempt (`PENDING`) is created with the given `paymentToken`. The order becomes
  `PENDING` again, its stock is reserved again, and the new attempt is charged; the order
  ends `CONFIRMED`, `PAYMENT_FAILED` (retry again) or `REJECTED` (stock gone meanwhile).
- **409** `ChargeInProgress`: a charge is in progress (the first one, or a retry asked for
  before); the given token is not used. Pay again only if that charge fails.
- **409** `OrderNotPayable`: the order is `CONFIRMED` (paid; nothing is charged again),
  `REJECTED` or `CANCELLED`; the message names the status.
- **409** `PaymentFailureNotFinal`: the payment failed moments ago and the order is not
  `PAYMENT_FAILED` yet; repeat the request shortly.
- **404**: no payment was ever started for the order (it does not exist, is someone
  else's, or its stock is not reserved yet).
"""


@app.post(
    "/payments",
    operation_id="requestPayment",
    summary="Retry the failed payment of an order",
    description=DESCRIPTION,
    tags=["payments"],
    security=SIGNED_IN_USER,
    responses={
        202: {"description": "The new payment attempt, to be charged"},
        **documented_errors(400, 401, 404, 413, 422),
        409: {
            **documented_errors(409)[409],
            "description": (
                "ChargeInProgress (a charge is in progress; the token was not used), "
                "OrderNotPayable (the order is CONFIRMED, REJECTED or CANCELLED) or "
                "PaymentFailureNotFinal"
            ),
        },
    },
)
def post_payment(
    payment_request: Annotated[PaymentRequest, Body()],
    caller: Annotated[CallerIdentity, Depends(signed_in_caller)],
) -> Response[Payment]:
    logger.set_correlation_id(payment_request.order_id)
    retry = request_payment(caller, payment_request, payments=payments_table_from_environment())
    logger.info("Payment retry requested", extra={"attempt": retry.attempt})
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body=retry,
        headers={"Location": f"/payments/{retry.payment_id}"},
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
