"""POST /payments: retry the failed payment of an order.

- The latest attempt failed and the order is PAYMENT_FAILED: a new attempt with the
  given token. Its stock is reserved again (payment.retry_requested), then it is charged,
  as the first attempt was.
- A charge (the first, or a retry) is in progress: ChargeInProgress; the token is not
  used, and the shopper is told so.
- The order is final (CONFIRMED: paid; REJECTED; CANCELLED): OrderNotPayable, naming the
  status.
- A failure the orders service has not yet recorded (PAYMENT_FAILED) cannot be retried
  yet: PaymentFailureNotFinal.
"""

from __future__ import annotations

from datetime import UTC, datetime

from payments.dal.payment_items import payment_id_for
from payments.dal.payments_table import PaymentsTable
from payments.errors import (
    ChargeInProgress,
    OrderNotPayable,
    OrderPaymentsNotFound,
    PaymentFailureNotFinal,
)
from payments.logic.payment_events import announce
from payments.logic.read_payments import may_see
from payments.models import ChargeState, OrderLedger, Payment, PaymentRequest, PaymentStatus
from petstore_shared.caller_identity import CallerIdentity
from petstore_shared.domain_errors import Conflict
from petstore_shared.events.catalog import OrderPaymentFailed, PaymentRetryRequested
from petstore_shared.events.envelope import Event

REQUEST_ATTEMPTS = 3


def request_payment(
    caller: CallerIdentity, request: PaymentRequest, *, payments: PaymentsTable
) -> Payment:
    """The new payment attempt, PENDING, to be charged with the request's token."""
    order_id = request.order_id
    for _ in range(REQUEST_ATTEMPTS):
        ledger = payments.find_ledger(order_id)
        if ledger is None or not may_see(caller, ledger.user_id):
            raise OrderPaymentsNotFound(order_id)
        final = final_status(ledger)
        if final is not None:
            raise OrderNotPayable(order_id, final)
        if ledger.attempt is None:
            raise OrderPaymentsNotFound(order_id)
        payment_id = payment_id_for(order_id, ledger.attempt)
        if ledger.state is not ChargeState.FAILED:
            raise ChargeInProgress(order_id, payment_id)
        if ledger.retryable_attempt != ledger.attempt:
            raise PaymentFailureNotFinal(order_id)
        failed = payments.find_payment(payment_id)
        assert failed is not None
        retry = _next_attempt(ledger, failed)
        event = PaymentRetryRequested(
            order_id=order_id,
            user_id=ledger.user_id,
            pet_id=ledger.pet_id,
            pet_name=ledger.pet_name,
            quantity=ledger.quantity,
            attempt=retry.attempt,
            payment_id=retry.payment_id,
            amount=retry.amount,
            payment_token=request.payment_token,
        )
        if payments.request_retry(ledger, retry, announce(event)):
            return retry
    raise Conflict(f"The payment of order '{order_id}' kept changing; try again.")


def final_status(ledger: OrderLedger) -> str | None:
    """The order's final status as the payments service knows it, if it is final."""
    if ledger.cancelled:
        return "CANCELLED"
    if ledger.rejected:
        return "REJECTED"
    if ledger.state is ChargeState.SUCCEEDED:
        return "CONFIRMED"
    return None


def open_payment_retry(event: Event[OrderPaymentFailed], *, payments: PaymentsTable) -> bool:
    """The orders service has marked the order PAYMENT_FAILED: its payment may be retried
    from now on (until the order is cancelled)."""
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
