"""The pets the orders service sells, kept from the pets service's pet.changed events:
what POST /orders charges and refuses, and GET /orders/offers/{petId}, whatever order
the events arrive in and however often."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from orders.handlers import handle_get_pet_offer, handle_place_order
from pets.logic.create_pet import create_pet
from pets.logic.delete_pet import delete_pet
from pets.logic.update_pet import update_pet
from pets.models import PetDetails
from support.in_process_saga import InProcessSaga
from support.rest_api_invocation import ApiAnswer, call_api
from support.saga_fixtures import rest_event

DETAILS = {"name": "Rex", "species": "dog", "price": {"amount": "10.00", "currency": "EUR"}}


def offer(pet_id: str) -> ApiAnswer:
    return call_api(handle_get_pet_offer, rest_event("GET", f"/orders/offers/{pet_id}"))


def place(pet_id: str) -> ApiAnswer:
    body = {"petId": pet_id, "quantity": 2, "paymentToken": "tok_visa"}
    return call_api(handle_place_order, rest_event("POST", "/orders", caller="alice", body=body))


def reprice(pet_id: str, amount: str, version: int) -> None:
    details = {**DETAILS, "price": {"amount": amount, "currency": "EUR"}, "stock": 5}
    update_pet(pet_id, PetDetails.model_validate(details), version)


def pet_changes(saga: InProcessSaga, pet_id: str) -> list[Any]:
    return [e for e in saga.published() if e.type == "pet.changed" and e.data.pet_id == pet_id]


def test_a_new_pet_is_sold_at_its_price_once_its_event_arrived(saga: InProcessSaga) -> None:
    pet_id = create_pet(PetDetails.model_validate({**DETAILS, "stock": 5})).id
    assert place(pet_id).status == 404

    saga.deliver("pet.changed")

    assert offer(pet_id).body == {
        "petId": pet_id,
        "name": "Rex",
        "price": {"amount": "10.00", "currency": "EUR"},
        "onSale": True,
        "petVersion": 1,
    }
    placed = place(pet_id)
    assert placed.status == 201
    assert placed.body["amount"] == {"amount": "20.00", "currency": "EUR"}


def test_an_order_is_charged_the_price_of_the_latest_change(
    saga: InProcessSaga, add_pet: Callable[..., str]
) -> None:
    pet_id = add_pet(stock=5, price="10.00")

    reprice(pet_id, "7.50", version=1)
    saga.deliver("pet.changed")

    assert Decimal(place(pet_id).body["amount"]["amount"]) == Decimal("15.00")


def test_a_deleted_pet_takes_no_orders_and_has_no_offer(
    saga: InProcessSaga, add_pet: Callable[..., str]
) -> None:
    pet_id = add_pet()

    delete_pet(pet_id)
    saga.deliver("pet.changed")

    assert place(pet_id).status == 404
    assert place(pet_id).body["error"]["field"] == "petId"
    assert offer(pet_id).status == 404


def test_an_unknown_pet_has_no_offer(saga: InProcessSaga) -> None:
    answer = offer("no-such-pet")

    assert answer.status == 404
    assert answer.body["error"]["code"] == "PetNotFound"


def test_events_delivered_again_in_reverse_order_change_nothing(
    saga: InProcessSaga, add_pet: Callable[..., str]
) -> None:
    pet_id = add_pet(price="10.00")
    reprice(pet_id, "11.00", version=1)
    reprice(pet_id, "12.00", version=2)
    saga.deliver("pet.changed")
    changes = pet_changes(saga, pet_id)
    assert [change.data.pet_version for change in changes] == [1, 2, 3]

    saga.deliver_again(reversed(changes))
    saga.deliver_again(changes)

    assert offer(pet_id).body["price"]["amount"] == "12.00"
    assert offer(pet_id).body["petVersion"] == 3


def test_a_delete_arriving_before_the_last_price_change_keeps_the_pet_off_sale(
    saga: InProcessSaga, add_pet: Callable[..., str]
) -> None:
    pet_id = add_pet()
    reprice(pet_id, "11.00", version=1)
    delete_pet(pet_id)
    saga.publish_outboxes()
    repriced, deleted = pet_changes(saga, pet_id)[1:]

    saga.deliver_again([deleted, repriced])

    assert offer(pet_id).status == 404
