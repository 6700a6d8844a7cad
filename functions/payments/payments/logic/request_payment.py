"""POST /payments: pay, or retry the payment of, an order; idempotent per order.

- The order's payment succeeded: that payment, nothing charged again (ALREADY_PAID).
- A charge (or a retry) is under way: that payment (IN_PROGRESS).
- The latest attempt failed and the order is PAYMENT_FAILED: a new attempt with the
  given token (RETRY_REQUESTED). Its stock is reserved again (payment.retry_requested),
  then it is charged, as the first attempt was. Asking again returns the same attempt.
- The order was cancelled: OrderCancelled. A failure the orders service has not yet
  recorded (PAYMENT_FAILED) cannot be retried yet: PaymentFailureNotFinal; this is what
  guarantees that a retry never follows a cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from payments.dal.payment_items import payment_id_for
from payments.dal.payments_table import PaymentsTable
from payments.errors import OrderCancelled, OrderPaymentsNotFound, PaymentFailureNotFinal
from payments.logic.payment_events import announce
from payments.logic.read_payments import may_see
from payments.models import ChargeState, OrderLedger, Payment, PaymentRequest, PaymentStatus
from petstore_shared.caller_identity import CallerIdentity
from petstore_shared.domain_errors import Conflict
from petstore_shared.events.catalog import OrderPaymentFailed, PaymentRetryRequested
from petstore_shared.events.envelope import Event

REQUEST_ATTEMPTS = 3


class PaymentAnswer(StrEnum):
    ALREADY_PAID = "ALREADY_PAID"
    IN_PROGRESS = "IN_PROGRESS"
    RETRY_REQUESTED = "RETRY_REQUESTED"


@dataclass(frozen=True)
class PaymentRequestOutcome:
    answer: PaymentAnswer
    payment: Payment


def request_payment(
    caller: CallerIdentity, request: PaymentRequest, *, payments: PaymentsTable
) -> PaymentRequestOutcome:
    order_id = request.order_id
    for _ in range(REQUEST_ATTEMPTS):
        ledger = payments.find_ledger(order_id)
        if ledger is None or not may_see(caller, ledger.user_id):
            raise OrderPaymentsNotFound(order_id)
        if ledger.cancelled or ledger.attempt is None:
            raise OrderCancelled(order_id)
        current = payments.find_payment(payment_id_for(order_id, ledger.attempt))
        assert current is not None
        if ledger.state is ChargeState.SUCCEEDED:
            return PaymentRequestOutcome(PaymentAnswer.ALREADY_PAID, current)
        if ledger.state is not ChargeState.FAILED:
            return PaymentRequestOutcome(PaymentAnswer.IN_PROGRESS, current)
        if ledger.retryable_attempt != ledger.attempt:
            raise PaymentFailureNotFinal(order_id)
        retry = _next_attempt(ledger, current)
        event = PaymentRetryRequested(
            order_id=order_id,
            user_id=ledger.user_id,
            pet_id=ledger.pet_id,
            quantity=ledger.quantity,
            attempt=retry.attempt,
            payment_id=retry.payment_id,
            amount=retry.amount,
            payment_token=request.payment_token,
        )
        if payments.request_retry(ledger, retry, announce(event)):
            return PaymentRequestOutcome(PaymentAnswer.RETRY_REQUESTED, retry)
    raise Conflict(f"The payment of order '{order_id}' kept changing; try again.")


def open_payment_retry(event: Event[OrderPaymentFailed], *, payments: PaymentsTable) -> bool:
    """The orders service has marked the order PAYMENT_FAILED, which it never does to a
    cancelled order and after which it allows no cancellation: its payment may be
    retried from now on."""
    data = event.data
    return payments.mark_retryable(data.order_id, data.attempt, datetime.now(UTC))


def _next_attempt(ledger: OrderLedger, failed: Payment) -> Payment:
    now = datetime.now(UTC)
    attempt = failed.attempt + 1
    return Payment(
        payment_id=payment_id_for(ledger.order_id, attempt),
        order_id=ledger.order_id,
        user_id=ledger.user_id,
        attempt=attempt,
        amount=failed.amount,
        status=PaymentStatus.PENDING,
        created_at=now,
        updated_at=now,
    )
