"""A rush on a pet: 100 orders of one from 20 shoppers at once for a stock of 10. Exactly
10 are confirmed, the stock ends at 0 and never below, and every other accepted order
ends rejected, with every shopper told about each of their orders."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from support.api_client import ApiClient
from support.saga_http import (
    TERMINAL,
    Shop,
    add_pet,
    notifications_of,
    order_of,
    shopper,
    stock_of,
    user_id_of,
)
from support.waiting import wait_until

pytestmark = pytest.mark.e2e

SHOPPERS = 20
ORDERS = 100
STOCK = 10


@pytest.mark.timeout(180)
def test_a_hundred_concurrent_orders_for_ten_in_stock_confirm_exactly_ten(shop: Shop) -> None:
    pet_id = add_pet(shop, stock=STOCK)
    shoppers = [shop.alice, shop.bob] + [
        shopper(shop, f"rush-{number}") for number in range(SHOPPERS - 2)
    ]
    buyers = list(itertools.islice(itertools.cycle(shoppers), ORDERS))

    def order(buyer: ApiClient) -> tuple[ApiClient, Any]:
        body = {"petId": pet_id, "quantity": 1, "paymentToken": "tok_visa"}
        return buyer, buyer.post("/orders", body)

    with ThreadPoolExecutor(max_workers=ORDERS) as pool:
        answers = list(pool.map(order, buyers))

    assert {answer.status_code for _, answer in answers} == {201}
    accepted = [
        (buyer, answer.json()["orderId"]) for buyer, answer in answers if answer.status_code == 201
    ]

    def final_orders() -> list[dict[str, Any]] | None:
        orders = [order_of(buyer, order_id) for buyer, order_id in accepted]
        return orders if all(o["status"] in TERMINAL for o in orders) else None

    orders = wait_until(final_orders, timeout_s=120, interval_s=0.5, what="every order final")
    assert orders is not None
    by_status = {status: [o for o in orders if o["status"] == status] for status in TERMINAL}
    assert len(by_status["CONFIRMED"]) == STOCK
    assert len(by_status["REJECTED"]) == len(accepted) - STOCK
    assert stock_of(shop, pet_id) == 0

    def everyone_told() -> bool:
        told = {
            (item["orderId"], item["subject"])
            for buyer in shoppers
            for item in notifications_of(buyer, user_id_of(buyer))
        }
        return all(
            (o["orderId"], "Order confirmed" if o["status"] == "CONFIRMED" else "Order rejected")
            in told
            for o in orders
        )

    wait_until(everyone_told, timeout_s=60, interval_s=0.5, what="every shopper told")
