from __future__ import annotations

from datetime import UTC, datetime

from payments.dal.payment_items import payment_id_for
from payments.dal.payments_table import PaymentsTable
from payments.models import ChargeState
from petstore_shared.events.catalog import InventoryRejected
from petstore_shared.events.envelope import Event

ORDER_REJECTED = "order_rejected"


def close_rejected_order(event: Event[InventoryRejected], *, payments: PaymentsTable) -> bool:
    """The order's stock could not be reserved for this attempt: the order ends REJECTED.
    Note it on the ledger (no payment is asked for from now on) and cancel the attempt's
    pending payment, a requested retry that will never be charged. True if one was."""
    data = event.data
    now = datetime.now(UTC)
    ledger = payments.mark_rejected(data, now)
    if ledger.state is not ChargeState.RETRY_REQUESTED or ledger.attempt != data.attempt:
        return False
    payment_id = payment_id_for(data.order_id, data.attempt)
    return payments.drop_requested_retry(
        data.order_id, data.attempt, payment_id, now, reason=ORDER_REJECTED
    )
