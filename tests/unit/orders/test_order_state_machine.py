"""The order state machine as the orders table applies it: whatever the events of an
order's saga, repeated and in any order, and whenever the shopper cancels, an order never
moves backwards, and every change leaves one history entry and one event."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from orders.dal.orders_table import orders_table_from_environment
from orders.dal.pet_offers_table import pet_offers_table_from_environment
from orders.errors import OrderNotCancellable
from orders.logic.cancel_order import cancel_order
from orders.logic.follow_saga import apply_saga_event
from orders.logic.place_order import place_order
from orders.models import OrderStatus, PlaceOrderRequest
from petstore_shared.events.catalog import (
    InventoryRejected,
    InventoryReserved,
    Money,
    OrderRef,
    PaymentFailed,
    PaymentRetryRequested,
    PaymentSucceeded,
)
from petstore_shared.events.envelope import new_event
from petstore_shared.settings import load_settings
from support.in_process_saga import InProcessSaga, create_table

S = OrderStatus
RANK = {S.PENDING: 0, S.RESERVED: 1, S.CONFIRMED: 2, S.REJECTED: 2, S.PAYMENT_FAILED: 2}
FINAL = {S.REJECTED, S.CANCELLED}
CANCEL = "cancel"
AMOUNT = Money(amount=Decimal("10.00"), currency="EUR")


def progress(status: OrderStatus, attempt: int) -> tuple[float, ...]:
    """How far an order has come; a cancelled order is as far as it gets."""
    return (float("inf"),) if status is S.CANCELLED else (attempt, RANK[status])


def saga_event(kind: type[OrderRef], attempt: int, order: dict[str, Any]) -> Any:
    extra: dict[type[OrderRef], dict[str, Any]] = {
        InventoryReserved: {"amount": AMOUNT, "payment_token": "tok_visa"},
        InventoryRejected: {"reason": "out_of_stock"},
        PaymentSucceeded: {"payment_id": f"pay-{attempt}", "amount": AMOUNT},
        PaymentFailed: {"payment_id": f"pay-{attempt}", "amount": AMOUNT, "reason": "declined"},
        PaymentRetryRequested: {
            "payment_id": f"pay-{attempt}",
            "amount": AMOUNT,
            "payment_token": "tok_visa",
        },
    }
    return new_event(kind(**order, quantity=1, attempt=attempt, **extra[kind]), source="test")


EVENT_KINDS = st.sampled_from(
    [InventoryReserved, InventoryRejected, PaymentSucceeded, PaymentFailed, PaymentRetryRequested]
)
STEPS = st.lists(st.one_of(st.tuples(EVENT_KINDS, st.integers(1, 3)), st.just(CANCEL)), max_size=12)


@pytest.fixture
def new_order(
    saga: InProcessSaga, add_pet: Callable[..., str], alice: Any, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], dict[str, Any]]:
    """Places an order for alice, in an orders table of its own: moto copies a whole table
    for each transaction, which a table shared by many examples makes slow."""
    pet_id = add_pet(stock=1_000)
    # The pet's offer stays in the first orders table; each example's orders go to a new one.
    offers = pet_offers_table_from_environment()
    tables = itertools.count(1)

    def place() -> dict[str, Any]:
        table_name = create_table("OrdersTable", f"OrdersTable-{next(tables)}")
        monkeypatch.setenv("ORDERS_TABLE_NAME", table_name)
        orders_table_from_environment.cache_clear()
        load_settings.cache_clear()
        placed = place_order(
            alice.user_id,
            PlaceOrderRequest(pet_id=pet_id, quantity=1, payment_token="tok_visa"),
            None,
            orders=orders_table_from_environment(),
            offers=offers,
        )
        return {"order_id": placed.order.order_id, "user_id": alice.user_id, "pet_id": pet_id}

    return place


@settings(
    max_examples=30,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_no_sequence_of_events_moves_an_order_backwards(
    new_order: Callable[[], dict[str, Any]], alice: Any, steps: list[Any]
) -> None:
    order = new_order()
    orders = orders_table_from_environment()
    current = orders.find_order(order["order_id"])
    assert current is not None
    changes = 0
    for step in steps:
        before = current
        if step == CANCEL:
            try:
                cancel_order(alice, order["order_id"], orders=orders)
            except OrderNotCancellable:
                assert before.status not in {S.PENDING, S.RESERVED, S.CONFIRMED}
        else:
            kind, attempt = step
            apply_saga_event(saga_event(kind, attempt, order), orders=orders)
        current = orders.find_order(order["order_id"])
        assert current is not None
        if (current.status, current.attempt) == (before.status, before.attempt):
            continue
        changes += 1
        assert before.status not in FINAL, f"{before.status} changed to {current.status}"
        assert progress(current.status, current.attempt) > progress(before.status, before.attempt)
        if before.status is S.CONFIRMED:
            assert current.status is S.CANCELLED
    stored = orders.find_order_with_history(order["order_id"])
    assert stored is not None
    assert len(stored.history) == changes + 1
    assert len(outbox_events_of(order["order_id"])) == changes + 1


def outbox_events_of(order_id: str) -> list[Any]:
    from petstore_shared.aws_clients import dynamodb_client

    response = dynamodb_client().query(
        TableName=os.environ["ORDERS_TABLE_NAME"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"OUTBOX#{order_id}"}},
    )
    return response["Items"]


def test_a_payment_result_arriving_before_the_reservation_confirms_the_order(
    new_order: Callable[[], dict[str, Any]],
) -> None:
    order = new_order()
    orders = orders_table_from_environment()

    apply_saga_event(saga_event(PaymentSucceeded, 1, order), orders=orders)
    late_reservation = apply_saga_event(saga_event(InventoryReserved, 1, order), orders=orders)

    assert late_reservation is None
    current = orders.find_order(order["order_id"])
    assert current is not None and current.status is S.CONFIRMED


def test_a_retry_moves_a_failed_order_to_the_next_attempt_and_ignores_the_old_one(
    new_order: Callable[[], dict[str, Any]],
) -> None:
    order = new_order()
    orders = orders_table_from_environment()
    steps: list[tuple[type[OrderRef], int]] = [
        (InventoryReserved, 1),
        (PaymentFailed, 1),
        (PaymentRetryRequested, 2),
    ]
    for kind, attempt in steps:
        apply_saga_event(saga_event(kind, attempt, order), orders=orders)

    stale = apply_saga_event(saga_event(PaymentSucceeded, 1, order), orders=orders)
    apply_saga_event(saga_event(PaymentSucceeded, 2, order), orders=orders)

    assert stale is None
    stored = orders.find_order_with_history(order["order_id"])
    assert stored is not None
    assert (stored.status, stored.attempt) == (S.CONFIRMED, 2)
    assert [entry.status for entry in stored.history] == [
        S.PENDING,
        S.RESERVED,
        S.PAYMENT_FAILED,
        S.PENDING,
        S.CONFIRMED,
    ]
