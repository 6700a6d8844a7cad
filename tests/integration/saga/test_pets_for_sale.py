"""Only pets for sale can be ordered, over each event transport: the orders service takes
no order for a pet whose status is sold or pending (its offer follows pet.changed), the
reservation refuses one that stopped being for sale after the order was placed, and a pet
with no stock left is not listed as available."""

from __future__ import annotations

from typing import Any

import pytest

from support.saga_http import (
    Shop,
    add_pet,
    held_invocations,
    payments_of,
    place_order,
    wait_for_status,
)
from support.waiting import wait_until

pytestmark = pytest.mark.integration

RESERVING_FUNCTION = "InventoryOrderEventsFunction"


def set_status(shop: Shop, pet_id: str, status: str) -> dict[str, Any]:
    pet = shop.anonymous.get(f"/pets/{pet_id}").json()
    replacement = {
        name: pet[name] for name in ("name", "species", "price", "stock", "description", "tags")
    }
    answer = shop.admin.put(
        f"/pets/{pet_id}", {**replacement, "status": status, "version": pet["version"]}
    )
    assert answer.status_code == 200, answer.text
    updated: dict[str, Any] = answer.json()
    return updated


def wait_until_offer_is(shop: Shop, pet_id: str, status_code: int) -> None:
    wait_until(
        lambda: shop.anonymous.get(f"/orders/offers/{pet_id}").status_code == status_code,
        timeout_s=30,
        what=f"the orders service's offer of {pet_id} answering {status_code}",
    )


@pytest.mark.parametrize("status", ["sold", "pending"])
def test_a_pet_that_is_not_for_sale_cannot_be_ordered(shop: Shop, status: str) -> None:
    pet_id = add_pet(shop, stock=5)

    set_status(shop, pet_id, status)
    wait_until_offer_is(shop, pet_id, 404)
    refused = shop.alice.post(
        "/orders", {"petId": pet_id, "quantity": 1, "paymentToken": "tok_visa"}
    )

    assert refused.status_code == 404, refused.text
    assert "for sale" in refused.json()["error"]["message"]
    set_status(shop, pet_id, "available")
    wait_until_offer_is(shop, pet_id, 200)
    order = place_order(shop.alice, pet_id)
    assert wait_for_status(shop.alice, order["orderId"])["status"] == "CONFIRMED"


def test_an_order_for_a_pet_sold_before_its_reservation_is_rejected_and_not_charged(
    shop: Shop,
) -> None:
    pet_id = add_pet(shop, stock=5)

    with held_invocations(shop, RESERVING_FUNCTION) as held:
        order = place_order(shop.alice, pet_id)
        assert held.arrived.wait(30)
        set_status(shop, pet_id, "sold")
        held.release()
        rejected = wait_for_status(shop.alice, order["orderId"])

    assert (rejected["status"], rejected["reason"]) == ("REJECTED", "pet_not_for_sale")
    assert payments_of(shop.alice, order["orderId"]) == []
    assert shop.anonymous.get(f"/pets/{pet_id}").json()["stock"] == 5


def test_a_pet_without_stock_is_not_listed_as_available(shop: Shop) -> None:
    sold_out = add_pet(shop, stock=0)
    stocked = add_pet(shop, stock=1)

    listed = {pet["id"] for pet in shop.anonymous.get("/pets?limit=100").json()["items"]}

    assert stocked in listed
    assert sold_out not in listed
