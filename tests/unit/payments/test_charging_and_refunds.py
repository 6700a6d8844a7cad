"""Charging a reserved order and refunding a cancelled one, through the real consumers
(in-process): at most one charge per order and attempt, nothing charged without a
reservation or after a cancellation, and every charge of a cancelled order refunded
exactly once, however often the events arrive."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from orders.handlers import handle_cancel_order
from payments.dal.charge_retry_queue import charge_retry_queue_from_environment
from payments.dal.payments_table import payments_table_from_environment
from payments.logic.charge_order import ChargeOutcome, charge_reserved_order
from payments.logic.payment_provider import ChargeApproved, ChargeDeclined, ChargeRequest
from payments.logic.refund_order import cancel_order_payments
from payments.models import PaymentStatus
from payments.providers.payment_simulator import PaymentSimulator
from payments.settings import RETRY_DELAYS_S
from petstore_shared.events.catalog import InventoryReserved, Money, OrderCancelled
from petstore_shared.events.envelope import Event, new_event
from support.in_process_saga import InProcessSaga
from support.rest_api_invocation import call_api
from support.saga_fixtures import events_of, rest_event


def cancel(order_id: str, caller: str = "alice") -> int:
    answer = call_api(
        handle_cancel_order, rest_event("PUT", f"/orders/{order_id}/cancel", caller=caller)
    )
    return answer.status


def provider_attempts(payment_id: str) -> int:
    item = next(
        item for item in payments_table_items() if item.get("paymentId", {}).get("S") == payment_id
    )
    return int(item["providerAttempts"]["N"])


def payments_table_items() -> list[dict[str, Any]]:
    from petstore_shared.aws_clients import dynamodb_client

    return dynamodb_client().scan(TableName="PaymentsTable")["Items"]


def test_a_reserved_order_is_charged_once_and_confirmed(
    saga: InProcessSaga, place_order: Callable[..., str], order_of: Any, payments_of: Any
) -> None:
    order_id = place_order(token="tok_visa")

    saga.settle()

    [payment] = payments_of(order_id)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert order_of(order_id).status == "CONFIRMED"
    assert len(events_of(saga, order_id, "payment.succeeded")) == 1


def test_a_declined_payment_fails_the_order_and_gives_the_stock_back(
    saga: InProcessSaga,
    add_pet: Callable[..., str],
    place_order: Callable[..., str],
    order_of: Any,
    payments_of: Any,
    stock_of: Callable[[str], int],
) -> None:
    pet_id = add_pet(stock=3)
    order_id = place_order(pet_id, token="tok_decline", quantity=2)

    saga.settle()

    [payment] = payments_of(order_id)
    assert (payment.status, payment.reason) == (PaymentStatus.FAILED, "card_declined")
    assert order_of(order_id).status == "PAYMENT_FAILED"
    assert stock_of(pet_id) == 3


def test_a_provider_outage_is_ridden_out_by_retries_of_the_charge_alone(
    saga: InProcessSaga, place_order: Callable[..., str], payments_of: Any
) -> None:
    order_id = place_order(token="tok_transient_2")

    saga.settle()

    [payment] = payments_of(order_id)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert provider_attempts(payment.payment_id) == 3
    assert saga.dead_letters("PaymentChargeRetriesQueue") == []


def test_a_longer_outage_is_retried_through_the_charge_retry_queue(
    saga: InProcessSaga, place_order: Callable[..., str], order_of: Any, payments_of: Any
) -> None:
    order_id = place_order(token="tok_transient_4")

    saga.settle()

    [payment] = payments_of(order_id)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert provider_attempts(payment.payment_id) == 5
    assert order_of(order_id).status == "CONFIRMED"
    assert saga.dead_letters("PaymentsOrderEventsQueue") == []


def test_an_outage_that_outlasts_every_attempt_fails_the_payment_before_the_dlq(
    saga: InProcessSaga, place_order: Callable[..., str], order_of: Any, payments_of: Any
) -> None:
    order_id = place_order(token="tok_transient_50")

    saga.settle()

    [payment] = payments_of(order_id)
    assert (payment.status, payment.reason) == (PaymentStatus.FAILED, "provider_unavailable")
    assert order_of(order_id).status == "PAYMENT_FAILED"
    assert saga.dead_letters("PaymentsOrderEventsQueue") == []


def test_a_repeated_reservation_event_charges_nothing_more(
    saga: InProcessSaga, place_order: Callable[..., str], payments_of: Any
) -> None:
    order_id = place_order(token="tok_visa")
    saga.settle()
    [reserved] = events_of(saga, order_id, "inventory.reserved")
    [payment] = payments_of(order_id)
    attempts = provider_attempts(payment.payment_id)

    outcome = charge_reserved_order(
        reserved,
        payments=payments_table_from_environment(),
        provider=PaymentSimulator(),
        retries=charge_retry_queue_from_environment(),
        retry_delays_s=RETRY_DELAYS_S,
    )

    assert outcome is ChargeOutcome.SKIPPED
    assert provider_attempts(payment.payment_id) == attempts
    assert len(payments_of(order_id)) == 1


def test_cancelling_a_paid_order_refunds_it_exactly_once(
    saga: InProcessSaga,
    add_pet: Callable[..., str],
    place_order: Callable[..., str],
    order_of: Any,
    payments_of: Any,
    stock_of: Callable[[str], int],
) -> None:
    pet_id = add_pet(stock=2)
    order_id = place_order(pet_id, token="tok_visa")
    saga.settle()

    assert cancel(order_id) == 200
    saga.settle()
    saga.deliver_again(events_of(saga, order_id) * 3)
    saga.settle()

    [payment] = payments_of(order_id)
    assert payment.status is PaymentStatus.REFUNDED
    assert len(events_of(saga, order_id, "payment.refunded")) == 1
    order = order_of(order_id)
    assert (order.status, order.refunded) == ("CANCELLED", True)
    assert stock_of(pet_id) == 2


def test_an_order_cancelled_before_its_reservation_is_never_charged(
    saga: InProcessSaga,
    add_pet: Callable[..., str],
    place_order: Callable[..., str],
    order_of: Any,
    stock_of: Callable[[str], int],
) -> None:
    pet_id = add_pet(stock=2)
    order_id = place_order(pet_id, token="tok_visa")

    assert cancel(order_id) == 200
    saga.settle()

    assert order_of(order_id).status == "CANCELLED"
    assert events_of(saga, order_id, "payment.succeeded") == []
    assert stock_of(pet_id) == 2


class CancellingWhileCharging:
    """A provider during whose charge the order's cancellation is recorded."""

    def __init__(self, cancellation: Event[OrderCancelled]) -> None:
        self._cancellation = cancellation
        self._simulator = PaymentSimulator()

    def charge(self, request: ChargeRequest) -> ChargeApproved | ChargeDeclined:
        cancel_order_payments(
            self._cancellation, payments=payments_table_from_environment(), provider=self
        )
        return self._simulator.charge(request)

    def refund(self, request: Any) -> str:
        return self._simulator.refund(request)


def test_a_charge_that_races_a_cancellation_is_refunded_at_once(saga: InProcessSaga) -> None:
    order: dict[str, Any] = {
        "order_id": "order-1",
        "user_id": "user-alice",
        "pet_id": "pet-1",
        "quantity": 1,
    }
    amount = Money(amount=Decimal("10.00"), currency="EUR")
    reserved = new_event(
        InventoryReserved(**order, amount=amount, payment_token="tok_visa"), source="test"
    )
    cancelled = new_event(OrderCancelled(**order, previous_status="RESERVED"), source="test")

    outcome = charge_reserved_order(
        reserved,
        payments=payments_table_from_environment(),
        provider=CancellingWhileCharging(cancelled),
        retries=charge_retry_queue_from_environment(),
        retry_delays_s=RETRY_DELAYS_S,
    )

    assert outcome is ChargeOutcome.REFUNDED
    [payment] = payments_table_from_environment().list_order_payments("order-1")
    assert payment.status is PaymentStatus.REFUNDED


@pytest.mark.parametrize("token", ["tok_visa", "tok_decline"])
def test_a_cancellation_delivered_again_after_the_refund_changes_nothing(
    saga: InProcessSaga, place_order: Callable[..., str], payments_of: Any, token: str
) -> None:
    order_id = place_order(token=token)
    saga.settle()
    cancel(order_id)
    saga.settle()
    before = payments_of(order_id)

    saga.deliver_again(events_of(saga, order_id, "order.cancelled") * 3)
    saga.settle()

    assert payments_of(order_id) == before
