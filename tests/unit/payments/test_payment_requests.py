"""POST /payments and the charge's own schedule, in-process: a final order is not payable
(409 naming its status), a request during a charge is refused (409), a rejected retry
leaves no pending payment, and an unanswered charge is handed to the retry queue alone."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from orders.handlers import handle_cancel_order
from payments.dal.payments_table import payments_table_from_environment
from payments.handlers import handle_request_payment
from payments.logic.charge_order import ChargeOutcome, charge_reserved_order
from payments.logic.payment_provider import ChargeRequest, ProviderUnavailable
from payments.models import PaymentStatus
from petstore_shared.events.catalog import InventoryReserved, Money
from petstore_shared.events.envelope import Event, new_event
from support.in_process_saga import InProcessSaga
from support.rest_api_invocation import call_api
from support.saga_fixtures import rest_event


def pay(order_id: str, token: str = "tok_visa") -> Any:
    body = {"orderId": order_id, "paymentToken": token}
    return call_api(
        handle_request_payment, rest_event("POST", "/payments", caller="alice", body=body)
    )


class Unanswered:
    def charge(self, request: ChargeRequest) -> Any:
        raise ProviderUnavailable("no answer within the timeout")

    def refund(self, request: Any) -> str:
        raise AssertionError("nothing to refund")


class RecordedRetries:
    def __init__(self) -> None:
        self.sent: list[tuple[Event[Any], int]] = []

    def send_later(self, event: Event[Any], delay_s: int) -> None:
        self.sent.append((event, delay_s))


def test_a_confirmed_order_is_not_payable_and_the_answer_names_its_status(
    saga: InProcessSaga, place_order: Callable[..., str]
) -> None:
    order_id = place_order(token="tok_visa")
    saga.settle()

    answer = pay(order_id)

    assert answer.status == 409
    assert answer.body["error"]["code"] == "OrderNotPayable"
    assert "CONFIRMED" in answer.body["error"]["message"]


def test_a_rejected_order_is_not_payable(
    saga: InProcessSaga, add_pet: Callable[..., str], place_order: Callable[..., str]
) -> None:
    order_id = place_order(add_pet(stock=1), quantity=2)
    saga.settle()

    answer = pay(order_id)

    assert answer.status == 409
    assert "REJECTED" in answer.body["error"]["message"]


def test_a_rejected_retry_cancels_its_pending_payment(
    saga: InProcessSaga,
    add_pet: Callable[..., str],
    place_order: Callable[..., str],
    payments_of: Any,
    order_of: Any,
) -> None:
    pet_id = add_pet(stock=1)
    order_id = place_order(pet_id, token="tok_decline")
    saga.settle()
    place_order(pet_id, caller="bob")
    saga.settle()

    assert pay(order_id).status == 202
    saga.settle()

    assert order_of(order_id).status == "REJECTED"
    assert [(p.status, p.reason) for p in payments_of(order_id)] == [
        (PaymentStatus.FAILED, "card_declined"),
        (PaymentStatus.CANCELLED, "order_rejected"),
    ]
    assert "REJECTED" in pay(order_id).body["error"]["message"]


def test_a_cancelled_payment_failed_order_is_not_payable_and_was_never_charged(
    saga: InProcessSaga, place_order: Callable[..., str], payments_of: Any
) -> None:
    order_id = place_order(token="tok_decline")
    saga.settle()

    cancelled = call_api(
        handle_cancel_order, rest_event("PUT", f"/orders/{order_id}/cancel", caller="alice")
    )
    saga.settle()

    assert cancelled.status == 200
    assert cancelled.body["history"][-1]["reason"] == "the payment had failed: nothing was charged"
    assert [p.status for p in payments_of(order_id)] == [PaymentStatus.FAILED]
    assert "CANCELLED" in pay(order_id).body["error"]["message"]


def test_an_unanswered_charge_is_handed_to_the_retry_queue_alone_and_stays_pending(
    saga: InProcessSaga, payments_of: Any
) -> None:
    reserved = new_event(
        InventoryReserved(
            order_id="order-1",
            user_id="user-alice",
            pet_id="pet-1",
            quantity=1,
            amount=Money(amount=Decimal("10.00"), currency="EUR"),
            payment_token="tok_visa",
        ),
        source="test",
    )
    retries = RecordedRetries()

    outcome = charge_reserved_order(
        reserved,
        payments=payments_table_from_environment(),
        provider=Unanswered(),
        retries=retries,
        retry_delays_s=(3, 5, 7, 11, 13),
    )

    assert outcome is ChargeOutcome.RETRY_SCHEDULED
    [(retry, delay_s)] = retries.sent
    assert (retry.data, delay_s) == (reserved.data, 3)
    assert retry.id != reserved.id
    [payment] = payments_of("order-1")
    assert payment.status is PaymentStatus.PENDING
    in_progress = pay("order-1", token="tok_mastercard")
    assert (in_progress.status, in_progress.body["error"]["code"]) == (409, "ChargeInProgress")
