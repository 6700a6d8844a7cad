"""The signed decrement under load and repetition, over real HTTP: concurrent orders
never oversell, and the same order decrements once however often it is sent."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from pets_http import AddPet, PetStoreClients, Reserve, error_of

pytestmark = pytest.mark.integration


def reserve_concurrently(
    reserve: Reserve, pet_id: str, order_ids: list[str], quantity: int
) -> list[requests.Response]:
    with ThreadPoolExecutor(max_workers=len(order_ids)) as pool:
        calls = [pool.submit(reserve, pet_id, order_id, quantity) for order_id in order_ids]
        return [call.result() for call in calls]


def test_fifty_concurrent_orders_of_one_sell_exactly_the_stock_of_ten(
    petstore: PetStoreClients, add_pet: AddPet, reserve: Reserve
) -> None:
    pet = add_pet(stock=10)

    answers = reserve_concurrently(reserve, pet["id"], [f"order-{n}" for n in range(50)], 1)

    assert Counter(answer.status_code for answer in answers) == {200: 10, 409: 40}
    refusals = [error_of(answer) for answer in answers if answer.status_code == 409]
    assert {(error["code"], error["field"]) for error in refusals} == {
        ("InsufficientStock", "quantity")
    }
    after = petstore.anonymous.get(f"/pets/{pet['id']}").json()
    assert (after["stock"], after["version"]) == (0, 11)
    assert reserve(pet["id"], "one-more", 1).status_code == 409


def test_the_same_order_sent_twice_decrements_once(
    petstore: PetStoreClients, add_pet: AddPet, reserve: Reserve
) -> None:
    pet = add_pet(stock=5)

    first = reserve(pet["id"], "order-1", 2)
    again = reserve(pet["id"], "order-1", 2)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert petstore.anonymous.get(f"/pets/{pet['id']}").json()["stock"] == 3


def test_the_same_order_sent_concurrently_decrements_once(
    petstore: PetStoreClients, add_pet: AddPet, reserve: Reserve
) -> None:
    pet = add_pet(stock=5)

    answers = reserve_concurrently(reserve, pet["id"], ["order-1"] * 10, 2)

    assert [answer.status_code for answer in answers] == [200] * 10
    assert len({answer.text for answer in answers}) == 1
    assert petstore.anonymous.get(f"/pets/{pet['id']}").json()["stock"] == 3


def test_the_same_order_with_another_quantity_is_a_conflict(
    petstore: PetStoreClients, add_pet: AddPet, reserve: Reserve
) -> None:
    pet = add_pet(stock=5)
    assert reserve(pet["id"], "order-1", 2).status_code == 200

    changed = reserve(pet["id"], "order-1", 3)

    assert changed.status_code == 409
    assert (error_of(changed)["code"], error_of(changed)["field"]) == (
        "ReservationMismatch",
        "quantity",
    )
    assert petstore.anonymous.get(f"/pets/{pet['id']}").json()["stock"] == 3


def test_a_repeated_order_is_answered_even_after_the_stock_ran_out(
    petstore: PetStoreClients, add_pet: AddPet, reserve: Reserve
) -> None:
    pet = add_pet(stock=2)
    first = reserve(pet["id"], "order-1", 2)

    again = reserve(pet["id"], "order-1", 2)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert petstore.anonymous.get(f"/pets/{pet['id']}").json()["stock"] == 0
