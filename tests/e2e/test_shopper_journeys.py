"""Whole shopper journeys through the API of the local cloud: an order confirmed, one
rejected for want of stock, a declined payment retried, and cancellations before and
after payment. Every journey ends in a final status with the stock, the money and the
shopper's notifications where they belong."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from support.saga_http import (
    EventTap,
    Shop,
    add_pet,
    held_invocations,
    order_of,
    payments_of,
    place_order,
    stock_of,
    user_id_of,
    wait_for_status,
    wait_for_subjects,
    wait_until_queues_drained,
)
from support.waiting import wait_until

pytestmark = pytest.mark.e2e


def statuses(order: dict[str, Any]) -> list[str]:
    return [entry["status"] for entry in order["history"]]


def test_an_order_is_reserved_paid_confirmed_and_its_shopper_told(shop: Shop) -> None:
    pet_id = add_pet(shop, stock=3, price="40.00")

    placed = place_order(shop.alice, pet_id, quantity=2)
    order = wait_for_status(shop.alice, placed["orderId"])

    assert statuses(order) == ["PENDING", "RESERVED", "CONFIRMED"]
    assert stock_of(shop, pet_id) == 1
    [payment] = payments_of(shop.alice, order["orderId"])
    assert payment["status"] == "SUCCEEDED"
    assert payment["amount"] == {"amount": "80.00", "currency": "EUR"}
    wait_for_subjects(
        shop.alice,
        user_id_of(shop.alice),
        order["orderId"],
        ["Order confirmed", "Order received", "Payment received"],
    )


def test_an_order_whose_stock_is_gone_by_its_reservation_is_rejected_and_never_charged(
    shop: Shop,
) -> None:
    pet_id = add_pet(shop, stock=1)
    with held_invocations(shop, "InventoryOrderEventsFunction") as reservations:
        placed = place_order(shop.alice, pet_id)
        assert reservations.arrived.wait(30), "the reservation never started"
        taken = shop.anonymous.signed(
            "POST",
            f"/pets/{pet_id}/decrementInventory",
            {"orderId": str(uuid.uuid4()), "quantity": 1},
        )
        assert taken.status_code == 200, taken.text
        reservations.release()
        order = wait_for_status(shop.alice, placed["orderId"])

    assert order["status"] == "REJECTED"
    assert order["reason"] == "out_of_stock"
    assert payments_of(shop.alice, order["orderId"]) == []
    assert stock_of(shop, pet_id) == 0
    wait_for_subjects(
        shop.alice,
        user_id_of(shop.alice),
        order["orderId"],
        ["Order received", "Order rejected"],
    )


def test_a_declined_payment_releases_the_stock_and_a_retry_with_another_card_confirms(
    shop: Shop,
) -> None:
    pet_id = add_pet(shop, stock=1)
    alice = user_id_of(shop.alice)
    placed = place_order(shop.alice, pet_id, token="tok_decline")

    failed = wait_for_status(shop.alice, placed["orderId"])
    assert (failed["status"], failed["reason"]) == ("PAYMENT_FAILED", "card_declined")
    assert wait_until(lambda: stock_of(shop, pet_id) == 1, what="the stock back")
    wait_for_subjects(
        shop.alice,
        alice,
        placed["orderId"],
        ["Order received", "Payment declined", "Payment failed"],
    )

    retry = {"orderId": placed["orderId"], "paymentToken": "tok_visa"}

    def accepted_retry() -> dict[str, Any] | None:
        answer = shop.alice.post("/payments", retry)
        return answer.json() if answer.status_code == 202 else None

    payment = wait_until(accepted_retry, what="the retry to be accepted")
    assert payment is not None
    assert (payment["attempt"], payment["status"]) == (2, "PENDING")
    confirmed = wait_for_status(shop.alice, placed["orderId"], {"CONFIRMED"})

    assert statuses(confirmed) == [
        "PENDING",
        "RESERVED",
        "PAYMENT_FAILED",
        "PENDING",
        "RESERVED",
        "CONFIRMED",
    ]
    assert stock_of(shop, pet_id) == 0
    attempts = payments_of(shop.alice, placed["orderId"])
    assert [(p["attempt"], p["status"]) for p in attempts] == [(1, "FAILED"), (2, "SUCCEEDED")]
    again = shop.alice.post("/payments", retry)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "OrderNotPayable"
    assert "CONFIRMED" in again.json()["error"]["message"]


def test_an_order_cancelled_before_payment_gives_its_stock_back_and_keeps_no_money(
    shop: Shop,
) -> None:
    tap = EventTap(shop)
    pet_id = add_pet(shop, stock=2)
    with held_invocations(shop, "PaymentOrderEventsFunction"):
        placed = place_order(shop.alice, pet_id)
        cancelled = shop.alice.put(f"/orders/{placed['orderId']}/cancel")

    assert cancelled.status_code == 200, cancelled.text
    assert statuses(cancelled.json())[-1] == "CANCELLED"
    assert "CONFIRMED" not in statuses(cancelled.json())
    assert wait_until(lambda: stock_of(shop, pet_id) == 2, what="the stock back")
    wait_until_queues_drained(shop)
    # The reservation may have raced ahead of the cancellation and been charged (then
    # refunded): every charge is refunded, and the shopper is told about each step.
    charged = tap.about(placed["orderId"], "payment.succeeded")
    assert len(tap.about(placed["orderId"], "payment.refunded")) == len(charged) <= 1
    payments = payments_of(shop.alice, placed["orderId"])
    assert all(payment["status"] != "SUCCEEDED" for payment in payments)
    told = ["Order cancelled", "Order received"]
    wait_for_subjects(
        shop.alice,
        user_id_of(shop.alice),
        placed["orderId"],
        told + (["Payment received", "Refund issued"] if charged else []),
    )
    assert order_of(shop.alice, placed["orderId"])["status"] == "CANCELLED"


def test_an_order_cancelled_after_payment_is_refunded_exactly_once(shop: Shop) -> None:
    tap = EventTap(shop)
    pet_id = add_pet(shop, stock=2)
    placed = place_order(shop.alice, pet_id)
    wait_for_status(shop.alice, placed["orderId"], {"CONFIRMED"})
    assert stock_of(shop, pet_id) == 1

    cancelled = shop.alice.put(f"/orders/{placed['orderId']}/cancel")

    assert cancelled.status_code == 200, cancelled.text
    refunded = wait_until(
        lambda: (order := order_of(shop.alice, placed["orderId"]))["refunded"] and order,
        what="the refund noted on the order",
    )
    assert refunded["status"] == "CANCELLED"
    assert stock_of(shop, pet_id) == 2
    [payment] = payments_of(shop.alice, placed["orderId"])
    assert payment["status"] == "REFUNDED"
    wait_for_subjects(
        shop.alice,
        user_id_of(shop.alice),
        placed["orderId"],
        [
            "Order cancelled",
            "Order confirmed",
            "Order received",
            "Payment received",
            "Refund issued",
        ],
    )
    assert len(tap.about(placed["orderId"], "payment.refunded")) == 1
    assert shop.alice.put(f"/orders/{placed['orderId']}/cancel").status_code == 409
