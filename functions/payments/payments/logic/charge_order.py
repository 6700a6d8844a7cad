"""Charging an order once its stock is reserved (inventory.reserved).

One provider call per delivery, bounded by the provider's timeout. A provider that is
unavailable or does not answer in time leaves the charge CHARGING and the charge is
handed to the charge-retry queue with a growing delay (its own event, under an id of its
own): the consumer moves on at once, so a slow provider delays only the orders it is
slow for. After MAX_PROVIDER_ATTEMPTS calls the payment fails (provider_unavailable)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum

from payments.dal.payment_items import payment_id_for
from payments.dal.payments_table import PaymentsTable
from payments.logic.charge_retries import ChargeRetries
from payments.logic.payment_events import EVENT_SOURCE, announce
from payments.logic.payment_provider import (
    ChargeApproved,
    ChargeDeclined,
    ChargeRequest,
    PaymentProvider,
    ProviderUnavailable,
)
from payments.logic.refund_order import refund_if_cancelled
from payments.models import ChargeState, OrderLedger, Payment, PaymentStatus
from petstore_shared.events.catalog import (
    InventoryReserved,
    PaymentFailed,
    PaymentSucceeded,
)
from petstore_shared.events.envelope import Event, derived_event_id, new_event
from petstore_shared.observability import logger

MAX_PROVIDER_ATTEMPTS = 6
"""After this many unavailable answers, the payment fails (provider_unavailable)."""
PROVIDER_UNAVAILABLE = "provider_unavailable"


class ChargeOutcome(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    REFUNDED = "REFUNDED"
    """Charged, then refunded at once: the order was cancelled while it was charged."""
    FAILED = "FAILED"
    RETRY_SCHEDULED = "RETRY_SCHEDULED"
    """The provider did not answer: the charge is tried again later."""
    SKIPPED = "SKIPPED"
    """Charged before, superseded, or the order was cancelled first: nothing done."""


def charge_reserved_order(
    event: Event[InventoryReserved],
    *,
    payments: PaymentsTable,
    provider: PaymentProvider,
    retries: ChargeRetries,
    retry_delays_s: Sequence[int],
) -> ChargeOutcome:
    """Charge the order's payment attempt now that its stock is reserved: at most once
    per order and attempt, never after the order was cancelled, and refunded at once
    if the cancellation arrived while the charge was under way. An unanswered call N
    is tried again `retry_delays_s[N - 1]` seconds later."""
    data = event.data
    payment_id = payment_id_for(data.order_id, data.attempt)
    if not _start_or_resume(data, payment_id, payments):
        return ChargeOutcome.SKIPPED
    result = _charge_once(data, payment_id, payments, provider)
    if isinstance(result, int):
        retries.send_later(_retry_of(event, result), retry_delays_s[result - 1])
        logger.info("Charge to be tried again", extra={"provider_attempt": result})
        return ChargeOutcome.RETRY_SCHEDULED
    ref = data.order_fields()
    if isinstance(result, ChargeApproved):
        succeeded = PaymentSucceeded(**ref, payment_id=payment_id, amount=data.amount)
        recorded = payments.record_charge_succeeded(
            data.order_id, data.attempt, payment_id, result.charge_id, announce(succeeded)
        )
        if refund_if_cancelled(data.order_id, payments=payments, provider=provider):
            return ChargeOutcome.REFUNDED
        return ChargeOutcome.SUCCEEDED if recorded else ChargeOutcome.SKIPPED
    failed = PaymentFailed(**ref, payment_id=payment_id, amount=data.amount, reason=result.reason)
    recorded = payments.record_charge_failed(
        data.order_id, data.attempt, payment_id, result.reason, announce(failed)
    )
    return ChargeOutcome.FAILED if recorded else ChargeOutcome.SKIPPED


def _start_or_resume(data: InventoryReserved, payment_id: str, payments: PaymentsTable) -> bool:
    now = datetime.now(UTC)
    if data.attempt == 1:
        ledger = OrderLedger(
            order_id=data.order_id,
            user_id=data.user_id,
            pet_id=data.pet_id,
            pet_name=data.pet_name,
            quantity=data.quantity,
            amount=data.amount,
            attempt=1,
            state=ChargeState.CHARGING,
            retryable_attempt=None,
            succeeded_payment_id=None,
            cancelled=False,
            refunded=False,
        )
        payment = Payment(
            payment_id=payment_id,
            order_id=data.order_id,
            user_id=data.user_id,
            attempt=1,
            amount=data.amount,
            status=PaymentStatus.PENDING,
            created_at=now,
            updated_at=now,
        )
        if payments.start_first_charge(ledger, payment, now):
            return True
    elif payments.start_retry_charge(data.order_id, data.attempt, now):
        return True
    # A charge that an earlier delivery started and did not settle is finished now, even
    # if the order was cancelled meanwhile: the provider answers a repeated call with the
    # first result, and a charge that went through is then refunded.
    ledger_now = payments.find_ledger(data.order_id)
    resumable = (
        ledger_now is not None
        and ledger_now.attempt == data.attempt
        and ledger_now.state is ChargeState.CHARGING
    )
    if resumable:
        logger.info("Resuming a charge an earlier delivery started")
    return resumable


def _charge_once(
    data: InventoryReserved, payment_id: str, payments: PaymentsTable, provider: PaymentProvider
) -> ChargeApproved | ChargeDeclined | int:
    """The provider's answer; or, when it is unavailable and attempts are left, the number
    of the call that went unanswered."""
    attempt_number = payments.count_charge_attempt(payment_id)
    request = ChargeRequest(
        idempotency_key=payment_id,
        payment_token=data.payment_token,
        amount=data.amount,
        attempt_number=attempt_number,
    )
    try:
        return provider.charge(request)
    except ProviderUnavailable:
        logger.warning("Payment provider unavailable", extra={"attempt": attempt_number})
        if attempt_number >= MAX_PROVIDER_ATTEMPTS:
            return ChargeDeclined(reason=PROVIDER_UNAVAILABLE)
        return attempt_number


def _retry_of(event: Event[InventoryReserved], provider_attempt: int) -> Event[InventoryReserved]:
    """The same reservation under an id of its own, so that it is handled once more."""
    data = event.data
    retry_id = derived_event_id(data.order_id, "charge-retry", data.attempt, provider_attempt)
    return new_event(data, source=EVENT_SOURCE, event_id=retry_id)
