"""Consumer of the payments service's orders-topic queue: inventory.reserved charges the
order, order.cancelled refunds (or prevents) its charge, order.payment_failed opens the
failed payment to a retry."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments.dal.payments_table import payments_table_from_environment
from payments.logic.charge_order import ChargeOutcome, charge_reserved_order
from payments.logic.refund_order import CancellationOutcome, cancel_order_payments
from payments.logic.request_payment import open_payment_retry
from payments.providers import payment_provider_from_environment
from petstore_shared.events.catalog import InventoryReserved, OrderCancelled, OrderPaymentFailed
from petstore_shared.events.consumer import EventConsumer
from petstore_shared.events.envelope import Event
from petstore_shared.observability import logger, metrics

CHARGE_METRICS = {
    ChargeOutcome.SUCCEEDED: ("PaymentsSucceeded",),
    ChargeOutcome.REFUNDED: ("PaymentsSucceeded", "PaymentsRefunded"),
    ChargeOutcome.FAILED: ("PaymentsDeclined",),
}


def charge(event: Event[InventoryReserved]) -> None:
    outcome = charge_reserved_order(
        event,
        payments=payments_table_from_environment(),
        provider=payment_provider_from_environment(),
    )
    logger.info("Charge handled", extra={"outcome": outcome.value})
    for metric in CHARGE_METRICS.get(outcome, ()):
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


def undo_payments(event: Event[OrderCancelled]) -> None:
    outcome = cancel_order_payments(
        event,
        payments=payments_table_from_environment(),
        provider=payment_provider_from_environment(),
    )
    logger.info("Cancellation handled", extra={"outcome": outcome.value})
    if outcome is CancellationOutcome.REFUNDED:
        metrics.add_metric(name="PaymentsRefunded", unit=MetricUnit.Count, value=1)


def allow_retry(event: Event[OrderPaymentFailed]) -> None:
    if open_payment_retry(event, payments=payments_table_from_environment()):
        logger.info("The failed payment may be retried")


consumer = EventConsumer(
    "payments-order-events",
    {InventoryReserved: charge, OrderCancelled: undo_payments, OrderPaymentFailed: allow_retry},
)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handle_sqs_batch(event, context)
