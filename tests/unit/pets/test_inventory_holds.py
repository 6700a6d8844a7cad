"""Holds (decrementInventory / releaseInventory): stock an internal caller takes for an
order expires unless the order's saga takes it over, its caller alone can release it,
once, and an expired hold's stock comes back as soon as a reservation needs it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pets.errors import (
    HoldEnded,
    HoldNotFound,
    HoldOfAnotherCaller,
    HoldTakenOver,
    InsufficientStock,
    OrderAlreadyReserved,
    OrderHeldByAnotherCaller,
    PetNotFound,
    ReservationMismatch,
)
from pets.handlers import handle_decrement_inventory, handle_release_inventory
from pets.logic.hold_stock import hold_stock, release_hold
from pets.logic.release_stock import release_stock
from pets.logic.reserve_stock import reserve_stock
from pets.models import HoldState, ReservationState

CALLER = "arn:aws:sts::123456789012:assumed-role/checkout/checkout-fn"
OTHER_CALLER = "arn:aws:sts::123456789012:assumed-role/other/other-fn"
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LATER = START + timedelta(seconds=61)
"""After a 60-second hold made at START has expired."""


def order_id() -> str:
    return str(uuid.uuid4())


def stored_hold_state(stored_item: Callable[..., Any], pet_id: str, order: str) -> str:
    return str(stored_item(f"PET#{pet_id}", f"HOLD#{order}")["state"]["S"])


# ------------------------------------------------------------------ holding


def test_a_hold_takes_the_stock_until_its_expiry(pets_table, add_pet, stored_stock):
    pet = add_pet(stock=5)

    hold = hold_stock(pet.id, order_id(), 2, 60, CALLER, now=START)

    assert (hold.state, hold.quantity, hold.holder) == (HoldState.HELD, 2, CALLER)
    assert hold.expires_at == START + timedelta(seconds=60)
    assert stored_stock(pet.id) == 3


def test_the_same_hold_asked_twice_takes_the_stock_once(pets_table, add_pet, stored_stock):
    pet, order = add_pet(stock=5), order_id()

    first = hold_stock(pet.id, order, 2, 60, CALLER, now=START)
    again = hold_stock(pet.id, order, 2, 60, CALLER, now=START + timedelta(seconds=5))

    assert again == first
    assert stored_stock(pet.id) == 3


def test_a_hold_refuses_another_quantity_another_caller_and_a_hold_that_ended(
    pets_table, add_pet, stored_stock
):
    pet, order = add_pet(stock=5), order_id()
    hold_stock(pet.id, order, 2, 60, CALLER, now=START)

    with pytest.raises(ReservationMismatch):
        hold_stock(pet.id, order, 3, 60, CALLER, now=START)
    with pytest.raises(OrderHeldByAnotherCaller):
        hold_stock(pet.id, order, 2, 60, OTHER_CALLER, now=START)
    with pytest.raises(HoldEnded):
        hold_stock(pet.id, order, 2, 60, CALLER, now=LATER)
    release_hold(pet.id, order, CALLER, now=START)
    with pytest.raises(HoldEnded):
        hold_stock(pet.id, order, 2, 60, CALLER, now=START)
    assert stored_stock(pet.id) == 5


def test_a_hold_beyond_the_stock_or_on_a_missing_pet_takes_nothing(
    pets_table, add_pet, stored_stock
):
    pet = add_pet(stock=1)

    with pytest.raises(InsufficientStock):
        hold_stock(pet.id, order_id(), 2, 60, CALLER, now=START)
    with pytest.raises(PetNotFound):
        hold_stock("no-pet", order_id(), 1, 60, CALLER, now=START)
    assert stored_stock(pet.id) == 1


def test_no_hold_for_an_order_whose_saga_already_reserved_its_stock(
    pets_table, add_pet, stored_stock
):
    pet, order = add_pet(stock=5), order_id()
    reserve_stock(pet.id, order, 2, now=START)

    with pytest.raises(OrderAlreadyReserved):
        hold_stock(pet.id, order, 2, 60, CALLER, now=START)
    assert stored_stock(pet.id) == 3


# ------------------------------------------------------------------ expiry


def test_an_expired_hold_gives_its_stock_to_a_reservation_that_needs_it(
    pets_table, add_pet, stored_stock, stored_item
):
    pet, no_such_order = add_pet(stock=2), order_id()
    hold_stock(pet.id, no_such_order, 2, 60, CALLER, now=START)
    with pytest.raises(InsufficientStock):
        reserve_stock(pet.id, order_id(), 1, now=START + timedelta(seconds=59))

    reservation = reserve_stock(pet.id, order_id(), 1, now=LATER)

    assert reservation.state is ReservationState.RESERVED
    assert stored_stock(pet.id) == 1
    assert stored_hold_state(stored_item, pet.id, no_such_order) == "EXPIRED"


def test_an_expired_hold_gives_its_stock_to_another_hold_that_needs_it(
    pets_table, add_pet, stored_stock, stored_item
):
    pet, first = add_pet(stock=3), order_id()
    hold_stock(pet.id, first, 2, 60, CALLER, now=START)

    hold_stock(pet.id, order_id(), 3, 60, OTHER_CALLER, now=LATER)

    assert stored_stock(pet.id) == 0
    assert stored_hold_state(stored_item, pet.id, first) == "EXPIRED"


def test_expired_holds_are_freed_only_when_their_stock_is_needed(
    pets_table, add_pet, stored_stock, stored_item
):
    pet, first = add_pet(stock=5), order_id()
    hold_stock(pet.id, first, 2, 60, CALLER, now=START)

    reserve_stock(pet.id, order_id(), 3, now=LATER)

    assert stored_stock(pet.id) == 0
    assert stored_hold_state(stored_item, pet.id, first) == "HELD"


def test_stock_short_even_with_every_expired_hold_freed_is_refused_and_frees_nothing(
    pets_table, add_pet, stored_stock, stored_item
):
    pet, first = add_pet(stock=3), order_id()
    hold_stock(pet.id, first, 2, 60, CALLER, now=START)

    with pytest.raises(InsufficientStock):
        reserve_stock(pet.id, order_id(), 4, now=LATER)

    assert stored_stock(pet.id) == 1
    assert stored_hold_state(stored_item, pet.id, first) == "HELD"


def test_concurrent_reservations_free_each_expired_hold_once(
    pets_table, dynamodb_applies_requests_atomically, add_pet, stored_stock, stored_item
):
    pet, first, second = add_pet(stock=4), order_id(), order_id()
    hold_stock(pet.id, first, 2, 60, CALLER, now=START)
    hold_stock(pet.id, second, 2, 60, CALLER, now=START)

    def reserve_one(_: int) -> str:
        try:
            reserve_stock(pet.id, order_id(), 1, now=LATER)
        except InsufficientStock:
            return "refused"
        return "reserved"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(reserve_one, range(8)))

    assert (outcomes.count("reserved"), outcomes.count("refused")) == (4, 4)
    assert stored_stock(pet.id) == 0
    assert {stored_hold_state(stored_item, pet.id, hold) for hold in (first, second)} == {"EXPIRED"}


# ------------------------------------------------------------------ the order's saga


def test_the_orders_saga_takes_its_hold_over_and_takes_no_more_stock(
    pets_table, add_pet, stored_stock, stored_item
):
    pet, order = add_pet(stock=5), order_id()
    hold_stock(pet.id, order, 2, 60, CALLER, now=START)

    reserve_stock(pet.id, order, 2, now=START + timedelta(seconds=10))

    assert stored_stock(pet.id) == 3
    assert stored_hold_state(stored_item, pet.id, order) == "TAKEN_OVER"
    with pytest.raises(HoldTakenOver):
        release_hold(pet.id, order, CALLER, now=LATER)
    reserve_stock(pet.id, order_id(), 2, now=LATER + timedelta(days=1))
    assert stored_stock(pet.id) == 1


def test_a_taken_over_hold_is_released_with_its_order(pets_table, add_pet, stored_stock):
    pet, order = add_pet(stock=5), order_id()
    hold_stock(pet.id, order, 2, 60, CALLER, now=START)
    reserve_stock(pet.id, order, 2, now=START)

    release_stock(pet.id, order)

    assert stored_stock(pet.id) == 5
    assert hold_stock(pet.id, order, 2, 60, CALLER, now=START).state is HoldState.TAKEN_OVER


def test_the_order_reserves_its_own_quantity_whatever_its_hold_held(
    pets_table, add_pet, stored_stock
):
    pet, bigger, smaller = add_pet(stock=10), order_id(), order_id()
    hold_stock(pet.id, bigger, 2, 60, CALLER, now=START)
    hold_stock(pet.id, smaller, 4, 60, CALLER, now=START)

    reserve_stock(pet.id, bigger, 5, now=START)
    reserve_stock(pet.id, smaller, 1, now=START)

    assert stored_stock(pet.id) == 4


def test_an_order_placed_after_its_hold_expired_reserves_afresh(
    pets_table, add_pet, stored_stock, stored_item
):
    pet, order = add_pet(stock=2), order_id()
    hold_stock(pet.id, order, 2, 60, CALLER, now=START)

    reserve_stock(pet.id, order, 2, now=LATER)

    assert stored_stock(pet.id) == 0
    assert stored_hold_state(stored_item, pet.id, order) == "EXPIRED"


def test_an_order_placed_after_its_hold_was_released_reserves_afresh(
    pets_table, add_pet, stored_stock
):
    pet, order = add_pet(stock=2), order_id()
    hold_stock(pet.id, order, 2, 60, CALLER, now=START)
    release_hold(pet.id, order, CALLER, now=START)

    reserve_stock(pet.id, order, 1, now=START)

    assert stored_stock(pet.id) == 1


# ------------------------------------------------------------------ releasing


def test_release_gives_the_stock_back_once_and_answers_the_same_again(
    pets_table, add_pet, stored_stock
):
    pet, order = add_pet(stock=5), order_id()
    hold_stock(pet.id, order, 3, 60, CALLER, now=START)

    first = release_hold(pet.id, order, CALLER, now=START + timedelta(seconds=1))
    again = release_hold(pet.id, order, CALLER, now=START + timedelta(seconds=2))

    assert first.state is HoldState.RELEASED
    assert again == first
    assert stored_stock(pet.id) == 5


def test_releasing_an_expired_hold_gives_its_stock_back_as_expired(
    pets_table, add_pet, stored_stock
):
    pet, order = add_pet(stock=5), order_id()
    hold_stock(pet.id, order, 3, 60, CALLER, now=START)

    released = release_hold(pet.id, order, CALLER, now=LATER)

    assert released.state is HoldState.EXPIRED
    assert stored_stock(pet.id) == 5


def test_only_the_holds_caller_may_release_it(pets_table, add_pet, stored_stock):
    pet, order = add_pet(stock=5), order_id()
    hold_stock(pet.id, order, 3, 60, CALLER, now=START)

    with pytest.raises(HoldOfAnotherCaller):
        release_hold(pet.id, order, OTHER_CALLER, now=START)
    assert stored_stock(pet.id) == 2


def test_releasing_a_hold_that_does_not_exist_is_hold_not_found(pets_table, add_pet):
    pet = add_pet(stock=5)

    with pytest.raises(HoldNotFound):
        release_hold(pet.id, order_id(), CALLER)
    with pytest.raises(HoldNotFound):
        release_hold("no-pet", order_id(), CALLER)


# ------------------------------------------------------------------ over the handlers


def _signed(rest_event: Any, route: str, pet_id: str, body: Any, caller: str = CALLER) -> Any:
    event = rest_event(
        "POST", f"/pets/{pet_id}/{route}", resource=f"/pets/{{petId}}/{route}", body=body
    )
    event["requestContext"]["identity"]["userArn"] = caller
    return event


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"orderId": "order-1", "quantity": 1}, "orderId"),
        ({"orderId": str(uuid.uuid4()).upper(), "quantity": 1}, "orderId"),
        ({"orderId": "", "quantity": 1}, "orderId"),
        ({"orderId": str(uuid.uuid4()), "quantity": -1}, "quantity"),
        ({"orderId": str(uuid.uuid4()), "quantity": 0}, "quantity"),
        ({"orderId": str(uuid.uuid4()), "quantity": 10**12}, "quantity"),
        ({"orderId": str(uuid.uuid4()), "quantity": 1, "holdSeconds": 0}, "holdSeconds"),
        ({"orderId": str(uuid.uuid4()), "quantity": 1, "holdSeconds": 901}, "holdSeconds"),
    ],
)
def test_decrement_refuses_bad_input_with_422_naming_the_field(
    pets_table, rest_event, invoke, add_pet, stored_stock, body, field
):
    pet = add_pet(stock=5)

    answer = invoke(
        handle_decrement_inventory, _signed(rest_event, "decrementInventory", pet.id, body)
    )

    assert answer.status == 422
    assert field in str(answer.body["error"])
    assert stored_stock(pet.id) == 5


def test_release_over_http_answers_200_then_200_then_403_for_another_caller(
    pets_table, rest_event, invoke, add_pet, stored_stock
):
    pet, order = add_pet(stock=5), order_id()
    held = invoke(
        handle_decrement_inventory,
        _signed(rest_event, "decrementInventory", pet.id, {"orderId": order, "quantity": 2}),
    )
    release = _signed(rest_event, "releaseInventory", pet.id, {"orderId": order})

    first, again = (
        invoke(handle_release_inventory, release),
        invoke(handle_release_inventory, release),
    )
    other = invoke(
        handle_release_inventory,
        _signed(rest_event, "releaseInventory", pet.id, {"orderId": order}, OTHER_CALLER),
    )

    assert held.status == 200 and held.body["state"] == "HELD"
    assert (first.status, first.body["state"]) == (200, "RELEASED")
    assert again.body == first.body
    assert (other.status, other.body["error"]["code"]) == (403, "HoldOfAnotherCaller")
    assert stored_stock(pet.id) == 5


def test_an_unsigned_call_that_reaches_the_handler_is_refused(
    pets_table, rest_event, invoke, add_pet
):
    pet = add_pet(stock=5)
    event = _signed(rest_event, "releaseInventory", pet.id, {"orderId": order_id()})
    event["requestContext"]["identity"]["userArn"] = None

    assert invoke(handle_release_inventory, event).status == 403
