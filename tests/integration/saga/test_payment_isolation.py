"""Payments over real HTTP, on each event transport: a slow payment provider delays only
the orders it is slow for; POST /payments tells the shopper when there is nothing to pay
(409 naming the order's status) or a charge is already in progress (409); no payment is
left PENDING on a final order; and a PAYMENT_FAILED order can be cancelled, with nothing
charged."""

from __future__ import annotations

import time
from typing import Any

import pytest

from support.saga_http import (
    Shop,
    add_pet,
    order_of,
    payments_of,
    place_order,
    shopper,
    stock_of,
    wait_for_status,
)
from support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

SLOW_ORDERS = 6
ALONE_RUNS = 3
ISOLATION_MARGIN_S = 2.0
SLOW_TOKEN = "tok_timeout_999"
"""The simulator answers nothing, each time, until the charge gives up."""
GIVE_UP_S = 90.0
"""Six unanswered calls (1 s each) and the retry delays between them (1+2+4+4+4 s on the
Kafka and RabbitMQ clouds, 1 s each on `local_cloud`), with room for a loaded machine."""


def seconds_to_confirm(buyer: Any, pet_id: str) -> float:
    started = time.monotonic()
    placed = place_order(buyer, pet_id)
    wait_until(
        lambda: order_of(buyer, placed["orderId"])["status"] == "CONFIRMED",
        timeout_s=60,
        interval_s=0.02,
        what="the ordinary order CONFIRMED",
    )
    return time.monotonic() - started


def pay(buyer: Any, order_id: str, token: str = "tok_visa") -> Any:
    return buyer.post("/payments", {"orderId": order_id, "paymentToken": token})


def refusal_naming(answer: Any, status: str) -> dict[str, Any] | None:
    """The 409's error when it names `status`."""
    if answer.status_code != 409 or status not in answer.json()["error"]["message"]:
        return None
    error: dict[str, Any] = answer.json()["error"]
    return error


def test_six_orders_on_a_provider_that_never_answers_do_not_delay_another_shoppers_order(
    shop: Shop,
) -> None:
    pet_id = add_pet(shop, stock=20)
    carol = shopper(shop, f"carol-{time.monotonic_ns()}@example.com")
    seconds_to_confirm(carol, pet_id)  # warm: the measurements below run on warm workers
    # The slowest of three: on a loaded machine one order alone varies by a second.
    alone_s = max(seconds_to_confirm(carol, pet_id) for _ in range(ALONE_RUNS))

    slow = [
        place_order(shop.alice, pet_id, token=SLOW_TOKEN)["orderId"] for _ in range(SLOW_ORDERS)
    ]
    beside_slow_s = seconds_to_confirm(carol, pet_id)

    print(f"ordinary order alone {alone_s:.2f} s, beside the slow ones {beside_slow_s:.2f} s")
    assert beside_slow_s <= alone_s + ISOLATION_MARGIN_S
    for order_id in slow:
        failed = wait_until(
            lambda order_id=order_id: (
                (o := order_of(shop.alice, order_id))["status"] == "PAYMENT_FAILED" and o
            ),
            timeout_s=GIVE_UP_S,
            interval_s=0.5,
            what="the slow order to give up",
        )
        assert failed["reason"] == "provider_unavailable"
    [payment] = payments_of(shop.alice, slow[0])
    assert (payment["status"], payment["reason"]) == ("FAILED", "provider_unavailable")


def test_paying_a_final_order_answers_409_naming_its_status(shop: Shop) -> None:
    pet_id = add_pet(shop, stock=1)
    confirmed = place_order(shop.alice, pet_id)["orderId"]
    wait_for_status(shop.alice, confirmed, {"CONFIRMED"})
    rejected = place_order(shop.alice, pet_id)["orderId"]
    wait_for_status(shop.alice, rejected, {"REJECTED"})
    cancelled = place_order(shop.alice, add_pet(shop, stock=1))["orderId"]
    wait_for_status(shop.alice, cancelled, {"CONFIRMED"})
    assert shop.alice.put(f"/orders/{cancelled}/cancel").status_code == 200

    for order_id, status in ((confirmed, "CONFIRMED"), (rejected, "REJECTED")):
        answer = pay(shop.alice, order_id)
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"]["code"] == "OrderNotPayable"
        assert status in answer.json()["error"]["message"]
    error = wait_until(
        lambda: refusal_naming(pay(shop.alice, cancelled), "CANCELLED"),
        what="the payments service to know of the cancellation",
    )
    assert error["code"] == "OrderNotPayable"


def test_a_retry_whose_stock_is_gone_leaves_the_order_rejected_with_no_pending_payment(
    shop: Shop,
) -> None:
    pet_id = add_pet(shop, stock=1)
    order_id = place_order(shop.alice, pet_id, token="tok_decline")["orderId"]
    wait_for_status(shop.alice, order_id, {"PAYMENT_FAILED"})
    wait_until(lambda: stock_of(shop, pet_id) == 1, what="the declined order's stock back")
    wait_for_status(shop.bob, place_order(shop.bob, pet_id)["orderId"], {"CONFIRMED"})

    retried = wait_until(
        lambda: (a := pay(shop.alice, order_id)).status_code == 202 and a,
        what="the retry to be accepted",
    )
    assert retried.json()["attempt"] == 2
    rejected = wait_for_status(shop.alice, order_id, {"REJECTED"})

    attempts = wait_until(
        lambda: (p := payments_of(shop.alice, order_id))[-1]["status"] != "PENDING" and p,
        what="the retry's payment closed",
    )
    assert [(p["attempt"], p["status"], p.get("reason")) for p in attempts] == [
        (1, "FAILED", "card_declined"),
        (2, "CANCELLED", "order_rejected"),
    ]
    assert rejected["status"] == "REJECTED"
    answer = pay(shop.alice, order_id)
    assert answer.status_code == 409
    assert "REJECTED" in answer.json()["error"]["message"]


def test_a_payment_request_while_a_charge_is_in_progress_is_refused_and_its_token_unused(
    shop: Shop,
) -> None:
    pet_id = add_pet(shop, stock=1)
    order_id = place_order(shop.alice, pet_id, token="tok_timeout_2")["orderId"]
    wait_until(lambda: payments_of(shop.alice, order_id), what="the charge to start")

    answer = pay(shop.alice, order_id, token="tok_decline")

    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "ChargeInProgress"
    assert "a charge is in progress" in answer.json()["error"]["message"].lower()
    wait_for_status(shop.alice, order_id, {"CONFIRMED"})
    [payment] = payments_of(shop.alice, order_id)
    assert payment["status"] == "SUCCEEDED"


def test_a_payment_failed_order_can_be_cancelled_its_stock_released_and_nothing_charged(
    shop: Shop,
) -> None:
    pet_id = add_pet(shop, stock=2)
    order_id = place_order(shop.alice, pet_id, token="tok_decline", quantity=2)["orderId"]
    wait_for_status(shop.alice, order_id, {"PAYMENT_FAILED"})

    answer = shop.alice.put(f"/orders/{order_id}/cancel")

    assert answer.status_code == 200, answer.text
    cancelled = answer.json()
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["refunded"] is False
    assert cancelled["history"][-1]["reason"] == "the payment had failed: nothing was charged"
    wait_until(lambda: stock_of(shop, pet_id) == 2, what="the stock released")
    assert [p["status"] for p in payments_of(shop.alice, order_id)] == ["FAILED"]
    error = wait_until(
        lambda: refusal_naming(pay(shop.alice, order_id), "CANCELLED"),
        what="the payments service to know of the cancellation",
    )
    assert error["code"] == "OrderNotPayable"
    assert order_of(shop.alice, order_id)["status"] == "CANCELLED"
