"""Consumer of the payments service's orders-topic queue (and of its charge-retry queue):
inventory.reserved charges the order, inventory.rejected closes its payments,
order.cancelled refunds (or prevents) its charge, order.payment_failed opens the failed
payment to a retry. Different orders' records are handled side by side, so one order's
slow provider call never holds back another's."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments.dal.charge_retry_queue import charge_retry_queue_from_environment
from payments.dal.payments_table import payments_table_from_environment
from payments.logic.charge_order import ChargeOutcome, charge_reserved_order
from payments.logic.refund_order import CancellationOutcome, cancel_order_payments
from payments.logic.reject_order import close_rejected_order
from payments.logic.request_payment import open_payment_retry
from payments.providers import payment_provider_from_environment
from payments.settings import ChargeRetrySettings
from petstore_shared.aws_clients import made_before_snapshot
from petstore_shared.events.catalog import (
    InventoryRejected,
    InventoryReserved,
    OrderCancelled,
    OrderPaymentFailed,
)
from petstore_shared.events.consumer import EventConsumer
from petstore_shared.events.envelope import Event
from petstore_shared.observability import logger, metrics
from petstore_shared.settings import load_settings

# The charge-retry queue's SQS client, made on every charge: a restored consumer's first
# charge took 0.3 s making it.
made_before_snapshot(
    payments_table_from_environment,
    payment_provider_from_environment,
    charge_retry_queue_from_environment,
)

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
        retries=charge_retry_queue_from_environment(),
        retry_delays_s=load_settings(ChargeRetrySettings).charge_retry_delays_s,
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


def close_payments(event: Event[InventoryRejected]) -> None:
    if close_rejected_order(event, payments=payments_table_from_environment()):
        logger.info("The requested retry of the rejected order was cancelled")


consumer = EventConsumer(
    "payments-order-events",
    {
        InventoryReserved: charge,
        InventoryRejected: close_payments,
        OrderCancelled: undo_payments,
        OrderPaymentFailed: allow_retry,
    },
    orders_side_by_side=True,
)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handle_sqs_batch(event, context)
