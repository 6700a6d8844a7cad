"""reserve_stock / release_stock: atomic, idempotent per order, and safe when events
arrive out of order; decrementInventory's holds over HTTP (more in test_inventory_holds)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from pets.dal.stock_reservations import StockReservations
from pets.errors import (
    InsufficientStock,
    PetNotFound,
    ReservationMismatch,
    ReservationReleased,
)
from pets.handlers import handle_decrement_inventory
from pets.logic.delete_pet import delete_pet
from pets.logic.release_stock import release_stock
from pets.logic.reserve_stock import reserve_stock
from pets.models import ReleaseOutcome, Reservation, ReservationState
from petstore_shared.domain_errors import ValidationError

ORDER_1 = str(uuid.uuid4())
ORDER_2 = str(uuid.uuid4())


def _decrement(rest_event: Any, pet_id: str, order_id: str, quantity: int) -> dict[str, Any]:
    event: dict[str, Any] = rest_event(
        "POST",
        f"/pets/{pet_id}/decrementInventory",
        resource="/pets/{petId}/decrementInventory",
        body={"orderId": order_id, "quantity": quantity},
    )
    event["requestContext"]["identity"]["userArn"] = "arn:aws:iam::123456789012:user/internal"
    return event


def test_decrement_twice_for_the_same_order_takes_stock_once_and_answers_the_same(
    pets_table, rest_event, invoke, add_pet, stored_stock
):
    pet = add_pet(stock=5)

    first = invoke(handle_decrement_inventory, _decrement(rest_event, pet.id, ORDER_1, 2))
    second = invoke(handle_decrement_inventory, _decrement(rest_event, pet.id, ORDER_1, 2))

    assert first.status == second.status == 200
    assert second.body == first.body
    assert stored_stock(pet.id) == 3


def test_decrement_beyond_stock_is_409_insufficient_stock_and_takes_nothing(
    pets_table, rest_event, invoke, add_pet, stored_stock
):
    pet = add_pet(stock=1)

    response = invoke(handle_decrement_inventory, _decrement(rest_event, pet.id, ORDER_1, 2))

    assert response.status == 409
    assert response.body["error"]["code"] == "InsufficientStock"
    assert stored_stock(pet.id) == 1


def test_decrement_for_an_unknown_or_deleted_pet_is_404(pets_table, rest_event, invoke, add_pet):
    deleted = add_pet()
    delete_pet(deleted.id)

    unknown = invoke(handle_decrement_inventory, _decrement(rest_event, "no-pet", ORDER_1, 1))
    gone = invoke(handle_decrement_inventory, _decrement(rest_event, deleted.id, ORDER_2, 1))

    assert unknown.status == 404
    assert gone.status == 404


def test_repeated_reserve_returns_the_first_reservation_even_once_stock_ran_out(
    pets_table, add_pet, stored_stock
):
    pet = add_pet(stock=2)
    first = reserve_stock(pet.id, "order-1", 2)

    again = reserve_stock(pet.id, "order-1", 2)

    assert again == first
    assert stored_stock(pet.id) == 0


def test_repeated_reserve_still_answers_after_the_pet_was_deleted(pets_table, add_pet):
    pet = add_pet(stock=2)
    first = reserve_stock(pet.id, "order-1", 1)
    delete_pet(pet.id)

    assert reserve_stock(pet.id, "order-1", 1) == first


def test_reserve_again_with_another_quantity_is_refused(pets_table, add_pet, stored_stock):
    pet = add_pet(stock=5)
    reserve_stock(pet.id, "order-1", 2)

    with pytest.raises(ReservationMismatch):
        reserve_stock(pet.id, "order-1", 3)
    assert stored_stock(pet.id) == 3


def test_reserve_refuses_a_quantity_below_one(pets_table, add_pet):
    pet = add_pet()

    with pytest.raises(ValidationError) as refused:
        reserve_stock(pet.id, "order-1", 0)
    assert refused.value.field == "quantity"


def test_reserve_for_a_missing_pet_is_pet_not_found(pets_table):
    with pytest.raises(PetNotFound):
        reserve_stock("no-pet", "order-1", 1)


def test_fifty_concurrent_reserves_of_one_on_stock_ten_succeed_exactly_ten_times(
    pets_table, dynamodb_applies_requests_atomically, add_pet, stored_stock
):
    pet = add_pet(stock=10)

    def reserve_one(order_number: int) -> str:
        try:
            reserve_stock(pet.id, f"order-{order_number}", 1)
        except InsufficientStock:
            return "refused"
        return "reserved"

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(reserve_one, range(50)))

    assert outcomes.count("reserved") == 10
    assert outcomes.count("refused") == 40
    assert stored_stock(pet.id) == 0


def test_release_gives_the_stock_back_once(pets_table, add_pet, stored_stock, stored_item):
    pet = add_pet(stock=5)
    reserve_stock(pet.id, "order-1", 3)

    first = release_stock(pet.id, "order-1")
    second = release_stock(pet.id, "order-1")

    assert first is ReleaseOutcome.RELEASED
    assert second is ReleaseOutcome.ALREADY_RELEASED
    assert stored_stock(pet.id) == 5
    reservation = stored_item(f"PET#{pet.id}", "RESERVATION#order-1")
    assert reservation["state"]["S"] == ReservationState.RELEASED


def test_reserve_after_release_of_the_same_order_is_refused(pets_table, add_pet, stored_stock):
    pet = add_pet(stock=5)
    reserve_stock(pet.id, "order-1", 3)
    release_stock(pet.id, "order-1")

    with pytest.raises(ReservationReleased):
        reserve_stock(pet.id, "order-1", 3)
    assert stored_stock(pet.id) == 5


def test_release_before_reserve_leaves_a_tombstone_that_refuses_the_late_reserve(
    pets_table, add_pet, stored_stock
):
    pet = add_pet(stock=5)

    outcome = release_stock(pet.id, "order-1")

    assert outcome is ReleaseOutcome.RELEASED_BEFORE_RESERVE
    assert stored_stock(pet.id) == 5
    with pytest.raises(ReservationReleased):
        reserve_stock(pet.id, "order-1", 2)
    assert stored_stock(pet.id) == 5
    assert release_stock(pet.id, "order-1") is ReleaseOutcome.ALREADY_RELEASED


def test_a_hold_for_an_order_whose_stock_was_released_is_409_and_takes_nothing(
    pets_table, rest_event, invoke, add_pet, stored_stock
):
    pet = add_pet(stock=5)
    release_stock(pet.id, ORDER_1)

    response = invoke(handle_decrement_inventory, _decrement(rest_event, pet.id, ORDER_1, 1))

    assert response.status == 409
    assert response.body["error"]["code"] == "OrderAlreadyReserved"
    assert stored_stock(pet.id) == 5


def test_concurrent_releases_of_one_reservation_give_the_stock_back_once(
    pets_table, dynamodb_applies_requests_atomically, add_pet, stored_stock
):
    pet = add_pet(stock=4)
    reserve_stock(pet.id, "order-1", 4)

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: release_stock(pet.id, "order-1"), range(8)))

    assert outcomes.count(ReleaseOutcome.RELEASED) == 1
    assert stored_stock(pet.id) == 4


def test_release_that_loses_the_race_to_a_reserve_releases_that_reservation(
    pets_table, add_pet, stored_stock, monkeypatch
):
    pet = add_pet(stock=5)
    reserve_stock(pet.id, "order-1", 2)
    find_reservation = StockReservations.find_reservation
    reads: list[str] = []

    def first_read_before_the_reserve_landed(
        reservations: StockReservations, pet_id: str, order_id: str
    ) -> Reservation | None:
        reads.append(order_id)
        return None if len(reads) == 1 else find_reservation(reservations, pet_id, order_id)

    monkeypatch.setattr(StockReservations, "find_reservation", first_read_before_the_reserve_landed)

    assert release_stock(pet.id, "order-1") is ReleaseOutcome.RELEASED
    assert stored_stock(pet.id) == 5
