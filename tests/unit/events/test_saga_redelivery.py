"""Exactly-once effects under at-least-once delivery: after a saga has settled, every
event it published, delivered three more times to every consumer and in a shuffled
order, changes nothing: no order moves, no stock, charge, refund or notification is
added, and no new event is published. That holds even once the consumers' idempotency
records are gone (a redrive long after), because every effect is a conditional write."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from orders.handlers import handle_cancel_order
from payments.handlers import handle_request_payment
from support.in_process_saga import InProcessSaga, client
from support.rest_api_invocation import call_api
from support.saga_fixtures import rest_event

BUSINESS_TABLES = ("OrdersTable", "PetsTable", "PaymentsTable", "NotificationsTable")


def cancel(order_id: str) -> None:
    call_api(handle_cancel_order, rest_event("PUT", f"/orders/{order_id}/cancel", caller="alice"))


def snapshot(saga: InProcessSaga) -> dict[str, list[Any]]:
    return {
        table: sorted(saga.items(table), key=lambda item: (item["pk"]["S"], item["sk"]["S"]))
        for table in BUSINESS_TABLES
    }


def forget_idempotency_records(saga: InProcessSaga) -> None:
    dynamodb = client("dynamodb")
    for item in saga.items("IdempotencyTable"):
        dynamodb.delete_item(TableName="IdempotencyTable", Key={"id": item["id"]})


@dataclass(frozen=True)
class Shop:
    saga: InProcessSaga
    place_order: Callable[..., str]
    add_pet: Callable[..., str]


def run_happy_path(shop: Shop) -> None:
    shop.place_order(token="tok_visa")
    shop.saga.settle()


def run_decline_then_retry(shop: Shop) -> None:
    order_id = shop.place_order(token="tok_decline")
    shop.saga.settle()
    body = {"orderId": order_id, "paymentToken": "tok_visa"}
    call_api(handle_request_payment, rest_event("POST", "/payments", caller="alice", body=body))
    shop.saga.settle()


def run_cancel_after_payment(shop: Shop) -> None:
    order_id = shop.place_order(token="tok_visa")
    shop.saga.settle()
    cancel(order_id)
    shop.saga.settle()


def run_cancel_before_reservation(shop: Shop) -> None:
    cancel(shop.place_order(token="tok_visa"))
    shop.saga.settle()


def run_out_of_stock(shop: Shop) -> None:
    pet_id = shop.add_pet(stock=1)
    shop.place_order(pet_id)
    shop.place_order(pet_id)
    shop.saga.settle()


SCENARIOS = {
    "happy path": run_happy_path,
    "decline then retry": run_decline_then_retry,
    "cancel after payment": run_cancel_after_payment,
    "cancel before reservation": run_cancel_before_reservation,
    "out of stock": run_out_of_stock,
}


@pytest.fixture
def shop(saga: InProcessSaga, place_order: Callable[..., str], add_pet: Callable[..., str]) -> Shop:
    return Shop(saga, place_order, add_pet)


@pytest.mark.parametrize(
    ("scenario", "forget_idempotency"),
    [*((name, True) for name in sorted(SCENARIOS)), ("happy path", False)],
)
def test_every_event_delivered_three_more_times_out_of_order_changes_nothing(
    shop: Shop, scenario: str, forget_idempotency: bool
) -> None:
    SCENARIOS[scenario](shop)
    published = shop.saga.published()
    before = snapshot(shop.saga)
    if forget_idempotency:
        forget_idempotency_records(shop.saga)

    redelivered = published * 3
    random.Random(scenario).shuffle(redelivered)
    shop.saga.deliver_again(redelivered)
    shop.saga.settle()

    assert snapshot(shop.saga) == before
    assert shop.saga.published() == published


def test_redelivering_a_rejection_after_the_stock_came_back_reserves_nothing(
    saga: InProcessSaga, place_order: Callable[..., str], add_pet: Callable[..., str], stock_of: Any
) -> None:
    pet_id = add_pet(stock=1)
    first, second = place_order(pet_id), place_order(pet_id)
    saga.settle()
    cancel(first)
    saga.settle()
    assert stock_of(pet_id) == 1
    published = saga.published()
    forget_idempotency_records(saga)

    saga.deliver_again([event for event in published if event.correlation_id == second])
    saga.settle()

    assert stock_of(pet_id) == 1
