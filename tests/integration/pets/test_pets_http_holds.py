"""decrementInventory holds stock for an order id only until the order's saga takes it
over: over real HTTP, a hold for an order that never comes expires and its stock comes
back, releaseInventory frees a hold once however often it is sent, and bad input gets a
4xx naming the field. (Taking over: tests/integration/saga/test_inventory_holds_http.py;
another caller's hold: unit tests, the local cloud signs with one identity.)"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from pets_http import AddPet, Json, PetStoreClients, error_of

from support.waiting import wait_until

pytestmark = pytest.mark.integration


def new_order_id() -> str:
    return str(uuid.uuid4())


def hold(petstore: PetStoreClients, pet_id: str, body: Json) -> requests.Response:
    return petstore.anonymous.signed("POST", f"/pets/{pet_id}/decrementInventory", body)


def release(petstore: PetStoreClients, pet_id: str, order_id: str) -> requests.Response:
    return petstore.anonymous.signed(
        "POST", f"/pets/{pet_id}/releaseInventory", {"orderId": order_id}
    )


def stock_of(petstore: PetStoreClients, pet_id: str) -> int:
    stock: int = petstore.anonymous.get(f"/pets/{pet_id}").json()["stock"]
    return stock


def test_a_hold_for_an_order_that_never_comes_expires_and_its_stock_comes_back(
    petstore: PetStoreClients, add_pet: AddPet
) -> None:
    pet = add_pet(stock=2)
    no_such_order = new_order_id()
    held = hold(petstore, pet["id"], {"orderId": no_such_order, "quantity": 2, "holdSeconds": 1})
    assert (held.status_code, held.json()["state"]) == (200, "HELD")
    assert stock_of(petstore, pet["id"]) == 0

    another = {"orderId": new_order_id(), "quantity": 2}
    taken = wait_until(
        lambda: (answer := hold(petstore, pet["id"], another)).status_code == 200 and answer,
        timeout_s=10,
        what="the expired hold's stock held again",
    )

    assert taken.json()["state"] == "HELD"
    assert stock_of(petstore, pet["id"]) == 0
    ended = release(petstore, pet["id"], no_such_order)
    assert (ended.status_code, ended.json()["state"]) == (200, "EXPIRED")
    assert stock_of(petstore, pet["id"]) == 0


def test_release_gives_the_stock_back_once_however_often_it_is_sent(
    petstore: PetStoreClients, add_pet: AddPet
) -> None:
    pet = add_pet(stock=5)
    order_id = new_order_id()
    assert hold(petstore, pet["id"], {"orderId": order_id, "quantity": 3}).status_code == 200

    first, again = release(petstore, pet["id"], order_id), release(petstore, pet["id"], order_id)

    assert (first.status_code, first.json()["state"]) == (200, "RELEASED")
    assert (again.status_code, again.json()) == (200, first.json())
    assert stock_of(petstore, pet["id"]) == 5
    refused = hold(petstore, pet["id"], {"orderId": order_id, "quantity": 3})
    assert (refused.status_code, error_of(refused)["code"]) == (409, "HoldEnded")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"orderId": "order-1", "quantity": 1}, "orderId"),
        ({"orderId": "' OR 1=1 --", "quantity": 1}, "orderId"),
        ({"orderId": str(uuid.uuid4()).upper(), "quantity": 1}, "orderId"),
        ({"orderId": str(uuid.uuid4()), "quantity": -1}, "quantity"),
        ({"orderId": str(uuid.uuid4()), "quantity": 10**18}, "quantity"),
        ({"orderId": str(uuid.uuid4()), "quantity": 1, "holdSeconds": 86_400}, "holdSeconds"),
    ],
)
def test_bad_hold_requests_are_422_naming_the_field_and_take_nothing(
    petstore: PetStoreClients, add_pet: AddPet, body: Json, field: str
) -> None:
    pet = add_pet(stock=5)

    answer = hold(petstore, pet["id"], body)

    assert answer.status_code == 422, answer.text
    assert error_of(answer)["field"] == field
    assert stock_of(petstore, pet["id"]) == 5


def test_unknown_pets_and_holds_are_404_and_shoppers_cannot_release(
    petstore: PetStoreClients, add_pet: AddPet
) -> None:
    pet = add_pet(stock=5)
    order_id = new_order_id()
    assert hold(petstore, pet["id"], {"orderId": order_id, "quantity": 1}).status_code == 200
    body: dict[str, Any] = {"orderId": order_id}

    unknown_pet = hold(petstore, "no-such-pet", {"orderId": new_order_id(), "quantity": 1})
    unknown_hold = release(petstore, pet["id"], new_order_id())

    assert (unknown_pet.status_code, error_of(unknown_pet)["code"]) == (404, "NotFound")
    assert (unknown_hold.status_code, error_of(unknown_hold)["field"]) == (404, "orderId")
    path = f"/pets/{pet['id']}/releaseInventory"
    assert petstore.alice.post(path, body).status_code == 403
    assert petstore.anonymous.post(path, body).status_code == 403
    assert stock_of(petstore, pet["id"]) == 4
