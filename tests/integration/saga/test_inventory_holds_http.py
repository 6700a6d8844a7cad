"""decrementInventory's holds and the order saga, over real HTTP on both transports: a
hold made for an order before its order.placed is read is taken over by the order's
reservation, taking no more stock, and can no longer be released by its caller."""

from __future__ import annotations

import pytest

from support.saga_http import (
    Shop,
    add_pet,
    held_invocations,
    place_order,
    stock_of,
    wait_for_status,
)

pytestmark = pytest.mark.integration


def hold(shop: Shop, pet_id: str, order_id: str, quantity: int) -> dict:
    answer = shop.anonymous.signed(
        "POST", f"/pets/{pet_id}/decrementInventory", {"orderId": order_id, "quantity": quantity}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_hold_for_a_real_order_is_taken_over_by_its_saga_and_not_released(shop: Shop) -> None:
    pet_id = add_pet(shop, stock=5)
    with held_invocations(shop, "InventoryOrderEventsFunction") as reservations:
        order = place_order(shop.alice, pet_id, quantity=2)
        held = hold(shop, pet_id, order["orderId"], 2)
        assert stock_of(shop, pet_id) == 3
        reservations.release()

    confirmed = wait_for_status(shop.alice, order["orderId"])

    assert (held["state"], confirmed["status"]) == ("HELD", "CONFIRMED")
    assert stock_of(shop, pet_id) == 3
    release = shop.anonymous.signed(
        "POST", f"/pets/{pet_id}/releaseInventory", {"orderId": order["orderId"]}
    )
    assert (release.status_code, release.json()["error"]["code"]) == (409, "HoldTakenOver")
    assert hold(shop, pet_id, order["orderId"], 2)["state"] == "TAKEN_OVER"
    assert stock_of(shop, pet_id) == 3


def test_a_hold_for_an_order_already_reserved_by_its_saga_is_refused(shop: Shop) -> None:
    pet_id = add_pet(shop, stock=5)
    order = place_order(shop.alice, pet_id, quantity=1)
    wait_for_status(shop.alice, order["orderId"])

    late = shop.anonymous.signed(
        "POST",
        f"/pets/{pet_id}/decrementInventory",
        {"orderId": order["orderId"], "quantity": 1},
    )

    assert (late.status_code, late.json()["error"]["code"]) == (409, "OrderAlreadyReserved")
    assert stock_of(shop, pet_id) == 4
