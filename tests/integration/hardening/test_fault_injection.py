"""Faults injected from outside the functions, on a local cloud with the fault switch
between its functions and the emulator: the store unreachable, hung or slow; a consumer
killed mid-batch, timing out mid-batch, or stopped and restarted mid-saga; the payment
provider timing out. While the store is down the API answers 503 with Retry-After, never
500; consumers retry, then dead-letter; once the fault clears (and an operator redrives
the dead letters) every order ends in a terminal state with the invariants intact."""

from __future__ import annotations

import time
import uuid

import pytest
from fault_drills import (
    event_sources_disabled,
    pet_stock_in_table,
    place_orders,
    recorded_invocations,
    redrive,
    store_fault,
    visibility_timeout,
    wait_for_depth,
)
from load.saga_invariants import saga_violations

from petstore_shared.http_errors import RETRY_AFTER_S
from support.saga_http import (
    Shop,
    add_pet,
    order_of,
    payments_of,
    place_order,
    user_id_of,
    wait_for_status,
)
from support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

FUNCTION_TIMEOUT_S = 10.0
SETTLE_S = 40.0
"""Long enough for a batch delivered again after the 11 s visibility timeout."""


def test_while_the_store_is_unreachable_every_route_is_503_with_retry_after(
    faulty_shop: Shop,
) -> None:
    shop = faulty_shop
    pet_id = add_pet(shop, stock=3)
    alice = user_id_of(shop.alice)
    unknown = str(uuid.uuid4())
    calls = {
        "GET /pets": lambda: shop.anonymous.get("/pets"),
        "GET /pets/{petId}": lambda: shop.anonymous.get(f"/pets/{pet_id}"),
        "POST /pets": lambda: shop.admin.post(
            "/pets",
            {
                "name": "Rex",
                "species": "dog",
                "price": {"amount": "1", "currency": "EUR"},
                "stock": 1,
            },
        ),
        "PUT /pets/{petId}": lambda: shop.admin.put(
            f"/pets/{pet_id}",
            {
                "name": "Rex",
                "species": "dog",
                "price": {"amount": "1", "currency": "EUR"},
                "stock": 1,
                "version": 1,
            },
        ),
        "DELETE /pets/{petId}": lambda: shop.admin.delete(f"/pets/{pet_id}"),
        "POST decrementInventory": lambda: shop.anonymous.signed(
            "POST", f"/pets/{pet_id}/decrementInventory", {"orderId": unknown, "quantity": 1}
        ),
        "POST /orders": lambda: shop.alice.post(
            "/orders", {"petId": pet_id, "quantity": 1, "paymentToken": "tok_visa"}
        ),
        "GET /orders/{orderId}": lambda: shop.alice.get(f"/orders/{unknown}"),
        "GET /orders/user/{userId}": lambda: shop.alice.get(f"/orders/user/{alice}"),
        "PUT cancel": lambda: shop.alice.put(f"/orders/{unknown}/cancel"),
        "POST /payments": lambda: shop.alice.post(
            "/payments", {"orderId": unknown, "paymentToken": "tok_visa"}
        ),
        "GET /payments/{paymentId}": lambda: shop.alice.get(f"/payments/{unknown}"),
        "GET /payments/order/{orderId}": lambda: shop.alice.get(f"/payments/order/{unknown}"),
        "POST /notifications": lambda: shop.anonymous.signed(
            "POST", "/notifications", {"userId": alice, "subject": "Hi", "message": "Hello"}
        ),
        "GET /notifications/user/{userId}": lambda: shop.alice.get(f"/notifications/user/{alice}"),
    }

    with store_fault(shop) as faults:
        faults.unreachable()
        answers = {route: call() for route, call in calls.items()}

    not_503 = {route: a.text for route, a in answers.items() if a.status_code != 503}
    assert not_503 == {}
    for route, answer in answers.items():
        assert answer.headers["Retry-After"] == str(RETRY_AFTER_S), route
        assert answer.json()["error"]["code"] == "ServiceUnavailable", route
    assert shop.anonymous.get(f"/pets/{pet_id}").json()["stock"] == 3


def test_a_hung_store_is_503_before_the_function_times_out(faulty_shop: Shop) -> None:
    shop = faulty_shop
    pet_id = add_pet(shop, stock=1)

    with store_fault(shop) as faults:
        faults.hang()
        started = time.monotonic()
        answer = shop.anonymous.get(f"/pets/{pet_id}")
        elapsed_s = time.monotonic() - started

    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == str(RETRY_AFTER_S)
    assert elapsed_s < FUNCTION_TIMEOUT_S
    assert shop.anonymous.get(f"/pets/{pet_id}").status_code == 200


def test_events_that_fail_through_an_outage_are_dead_lettered_and_a_redrive_completes_them(
    faulty_shop: Shop,
) -> None:
    shop = faulty_shop
    pet_id = add_pet(shop, stock=5)
    consumers = ("InventoryOrderEventsFunction", "NotificationOrderEventsFunction")
    queues = ("InventoryOrderEventsQueue", "NotificationsOrderEventsQueue")
    with event_sources_disabled(shop, *consumers):
        orders = place_orders(shop.alice, pet_id, 3)
        for queue in queues:
            wait_for_depth(shop, queue, 3)
        with visibility_timeout(shop, queues, 1), store_fault(shop) as faults:
            faults.unreachable()
            for consumer in consumers:
                shop.cloud.enable_event_sources(consumer)
            for queue in queues:
                wait_for_depth(shop, f"{queue.removesuffix('Queue')}DeadLetterQueue", 3)

    assert {order_of(shop.alice, order.order_id)["status"] for order in orders} == {"PENDING"}
    moved = sum(
        redrive(shop, f"{queue.removesuffix('Queue')}DeadLetterQueue", queue) for queue in queues
    )
    assert moved == 6
    assert saga_violations(shop.anonymous, {pet_id: 5}, orders, SETTLE_S) == []


def test_a_consumer_killed_mid_batch_gets_the_batch_again_and_every_order_completes(
    faulty_shop: Shop,
) -> None:
    shop = faulty_shop
    pet_id = add_pet(shop, stock=5)
    consumer = "InventoryOrderEventsFunction"
    with event_sources_disabled(shop, consumer):
        orders = place_orders(shop.alice, pet_id, 3)
        wait_for_depth(shop, "InventoryOrderEventsQueue", 3)
        with recorded_invocations(shop, consumer) as results, store_fault(shop) as faults:
            faults.slow(0.3)
            shop.cloud.enable_event_sources(consumer)
            wait_until(
                lambda: pet_stock_in_table(shop, pet_id) < 5,
                interval_s=0.01,
                what="the batch's first reservation",
            )
            reserved_before_the_crash = 5 - pet_stock_in_table(shop, pet_id)
            assert shop.cloud.invoker is not None
            killed = shop.cloud.invoker.crash_workers(consumer)
            faults.clear()
            wait_until(lambda: results, what="the killed invocation's result")

    assert killed >= 1
    assert results[0].error_type == "Runtime.ExitError"
    assert 1 <= reserved_before_the_crash < 3
    assert saga_violations(shop.anonymous, {pet_id: 5}, orders, SETTLE_S) == []


def test_a_consumer_running_out_of_time_mid_batch_gets_the_rest_again_and_every_order_completes(
    faulty_shop: Shop,
) -> None:
    shop = faulty_shop
    pet_id = add_pet(shop, stock=5)
    consumer = "InventoryOrderEventsFunction"
    with event_sources_disabled(shop, consumer):
        orders = place_orders(shop.alice, pet_id, 4)
        wait_for_depth(shop, "InventoryOrderEventsQueue", 4)
        with recorded_invocations(shop, consumer) as results, store_fault(shop) as faults:
            faults.slow(1.0)
            shop.cloud.enable_event_sources(consumer)
            wait_until(lambda: results, timeout_s=FUNCTION_TIMEOUT_S + 5, what="the first batch")
            reserved_in_the_first_batch = 5 - pet_stock_in_table(shop, pet_id)

    # Either the handler hands back the records it has no time left for (reported as
    # failures), or it is cut off by its timeout mid-record: both get the batch again.
    first = results[0]
    payload = first.payload if isinstance(first.payload, dict) else {}
    handed_back = first.ok and bool(payload.get("batchItemFailures"))
    assert handed_back or first.error_type == "Sandbox.Timedout"
    assert 1 <= reserved_in_the_first_batch < 4
    assert saga_violations(shop.anonymous, {pet_id: 5}, orders, SETTLE_S) == []


def test_consumers_stopped_and_restarted_mid_saga_lose_nothing(faulty_shop: Shop) -> None:
    shop = faulty_shop
    pet_id = add_pet(shop, stock=5)
    restarted = ("PaymentOrderEventsFunction", "NotificationPaymentEventsFunction")
    with event_sources_disabled(shop, *restarted):
        orders = place_orders(shop.bob, pet_id, 3)
        for order in orders:
            wait_for_status(shop.bob, order.order_id, {"RESERVED"})
        invoker = shop.cloud.invoker
        assert invoker is not None
        for function in restarted:
            invoker.warm(function)
        killed = sum(invoker.crash_workers(function) for function in restarted)

    assert killed >= len(restarted)
    assert saga_violations(shop.anonymous, {pet_id: 5}, orders, SETTLE_S) == []


def test_a_payment_provider_timing_out_is_tried_again_and_charges_once(
    faulty_shop: Shop,
) -> None:
    shop = faulty_shop
    pet_id = add_pet(shop, stock=2)

    orders = place_orders(shop.alice, pet_id, 2, token="tok_timeout_2")

    assert saga_violations(shop.anonymous, {pet_id: 2}, orders, SETTLE_S) == []
    for order in orders:
        assert wait_for_status(shop.alice, order.order_id)["status"] == "CONFIRMED"
        [payment] = payments_of(shop.alice, order.order_id)
        assert payment["status"] == "SUCCEEDED"


def test_an_order_placed_right_after_the_store_recovers_completes(faulty_shop: Shop) -> None:
    shop = faulty_shop
    pet_id = add_pet(shop, stock=1)
    with store_fault(shop) as faults:
        faults.unreachable()
        refused = shop.alice.post(
            "/orders", {"petId": pet_id, "quantity": 1, "paymentToken": "tok_visa"}
        )

    order = place_order(shop.alice, pet_id)

    assert refused.status_code == 503
    assert wait_for_status(shop.alice, order["orderId"])["status"] == "CONFIRMED"
