from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from payments.dal.payment_items import payment_id_for
from payments.dal.payments_table import PaymentsTable
from payments.logic.payment_events import announce
from payments.logic.payment_provider import PaymentProvider, RefundRequest
from payments.models import ChargeState, OrderLedger
from petstore_shared.events.catalog import OrderCancelled, PaymentRefunded
from petstore_shared.events.envelope import Event


class CancellationOutcome(StrEnum):
    REFUNDED = "REFUNDED"
    RETRY_DROPPED = "RETRY_DROPPED"
    NOTHING_TO_UNDO = "NOTHING_TO_UNDO"
    """Not charged (yet: a charge that starts now is refused), or refunded before."""


def cancel_order_payments(
    event: Event[OrderCancelled], *, payments: PaymentsTable, provider: PaymentProvider
) -> CancellationOutcome:
    """Note the cancellation on the order's ledger, so no charge starts from now on;
    refund a charge that succeeded (exactly once), and drop a retry not yet charged."""
    now = datetime.now(UTC)
    ledger = payments.mark_cancelled(event.data, now)
    if ledger.state is ChargeState.RETRY_REQUESTED and ledger.attempt is not None:
        payment_id = payment_id_for(ledger.order_id, ledger.attempt)
        if payments.drop_requested_retry(ledger.order_id, ledger.attempt, payment_id, now):
            return CancellationOutcome.RETRY_DROPPED
    if refund_if_cancelled(ledger.order_id, payments=payments, provider=provider, ledger=ledger):
        return CancellationOutcome.REFUNDED
    return CancellationOutcome.NOTHING_TO_UNDO


def refund_if_cancelled(
    order_id: str,
    *,
    payments: PaymentsTable,
    provider: PaymentProvider,
    ledger: OrderLedger | None = None,
) -> bool:
    """Refund the order's succeeded payment if the order is cancelled and the payment not
    refunded yet. Whichever of the charge and the cancellation is recorded second calls
    this, so a charge that races a cancellation is refunded too; the ledger's condition
    makes it once. True if this call recorded the refund."""
    ledger = ledger or payments.find_ledger(order_id)
    if (
        ledger is None
        or not ledger.cancelled
        or ledger.refunded
        or ledger.state is not ChargeState.SUCCEEDED
        or ledger.succeeded_payment_id is None
    ):
        return False
    payment = payments.find_payment(ledger.succeeded_payment_id)
    assert payment is not None and payment.charge_id is not None
    refund_id = provider.refund(
        RefundRequest(
            idempotency_key=f"refund/{payment.payment_id}",
            charge_id=payment.charge_id,
            amount=payment.amount,
        )
    )
    refunded = PaymentRefunded(
        order_id=ledger.order_id,
        user_id=ledger.user_id,
        pet_id=ledger.pet_id,
        pet_name=ledger.pet_name,
        quantity=ledger.quantity,
        attempt=payment.attempt,
        payment_id=payment.payment_id,
        refund_id=refund_id,
        amount=payment.amount,
    )
    return payments.record_refund(order_id, payment.payment_id, refund_id, announce(refunded))
