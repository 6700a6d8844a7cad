"""Each pets route through its Lambda handler, as API Gateway would call it."""

from __future__ import annotations

import uuid
from typing import Any

from pets.handlers import (
    handle_create_pet,
    handle_decrement_inventory,
    handle_delete_pet,
    handle_get_pet,
    handle_list_pets,
    handle_update_pet,
)
from pets.logic.release_stock import release_stock
from pets.logic.reserve_stock import reserve_stock
from pets.models import ReleaseOutcome


def _pet_event(
    rest_event: Any,
    method: str,
    pet_id: str,
    body: Any = None,
    *,
    suffix: str = "",
    caller: str | None = None,
) -> dict[str, Any]:
    writer = "admin" if method in {"PUT", "DELETE"} else "anonymous"
    return rest_event(
        method,
        f"/pets/{pet_id}{suffix}",
        resource=f"/pets/{{petId}}{suffix}",
        caller=caller or writer,
        body=body,
    )


def test_admin_adds_a_pet_and_gets_201_with_location_and_version_1(
    pets_table, rest_event, invoke, pet_body
):
    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="admin", body=pet_body))

    assert response.status == 201
    pet = response.body
    assert response.headers["Location"] == f"/pets/{pet['id']}"
    assert pet["version"] == 1
    assert pet["name"] == "Rex"
    assert pet["price"] == {"amount": "249.99", "currency": "EUR"}
    assert pet["status"] == "available"
    assert pet["createdAt"] == pet["updatedAt"]


def test_species_is_stored_lower_cased(pets_table, rest_event, invoke, pet_body):
    pet_body["species"] = "  Dog "

    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="admin", body=pet_body))

    assert response.body["species"] == "dog"


def test_signed_in_shopper_cannot_add_a_pet(pets_table, rest_event, invoke, pet_body):
    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="alice", body=pet_body))

    assert response.status == 403
    assert response.body["error"]["code"] == "Forbidden"


def test_anyone_gets_a_pet_with_its_stock(pets_table, rest_event, invoke, add_pet):
    pet = add_pet(name="Tom", species="cat", stock=4)

    response = invoke(handle_get_pet, _pet_event(rest_event, "GET", pet.id))

    assert response.status == 200
    assert response.body["id"] == pet.id
    assert response.body["name"] == "Tom"
    assert response.body["stock"] == 4


def test_unknown_pet_is_404_in_the_shared_error_shape(pets_table, rest_event, invoke):
    response = invoke(handle_get_pet, _pet_event(rest_event, "GET", "no-such-pet"))

    assert response.status == 404
    assert response.body == {
        "error": {
            "code": "NotFound",
            "message": "There is no pet with id 'no-such-pet'.",
            "field": None,
        }
    }


def test_anyone_lists_available_pets(pets_table, rest_event, invoke, add_pet):
    rex = add_pet(name="Rex")

    response = invoke(handle_list_pets, rest_event("GET", "/pets"))

    assert response.status == 200
    assert [pet["id"] for pet in response.body["items"]] == [rex.id]
    assert "nextToken" not in response.body


def test_admin_replaces_details_and_the_version_goes_up(
    pets_table, rest_event, invoke, add_pet, pet_body
):
    pet = add_pet()
    replacement = {**pet_body, "name": "Rex II", "stock": 3, "version": 1}

    response = invoke(handle_update_pet, _pet_event(rest_event, "PUT", pet.id, replacement))

    assert response.status == 200
    assert response.body["name"] == "Rex II"
    assert response.body["stock"] == 3
    assert response.body["version"] == 2
    fetched = invoke(handle_get_pet, _pet_event(rest_event, "GET", pet.id)).body
    assert fetched["name"] == "Rex II"
    assert fetched["version"] == 2
    assert fetched["createdAt"] == response.body["createdAt"]


def test_update_from_a_stale_version_is_409_version_conflict(
    pets_table, rest_event, invoke, add_pet, pet_body
):
    pet = add_pet()
    first = {**pet_body, "name": "First", "version": 1}
    stale = {**pet_body, "name": "Second", "version": 1}
    invoke(handle_update_pet, _pet_event(rest_event, "PUT", pet.id, first))

    response = invoke(handle_update_pet, _pet_event(rest_event, "PUT", pet.id, stale))

    assert response.status == 409
    assert response.body["error"]["code"] == "VersionConflict"
    assert response.body["error"]["field"] == "version"
    fetched = invoke(handle_get_pet, _pet_event(rest_event, "GET", pet.id)).body
    assert fetched["name"] == "First"


def test_update_of_an_unknown_pet_is_404(pets_table, rest_event, invoke, pet_body):
    response = invoke(
        handle_update_pet, _pet_event(rest_event, "PUT", "no-such-pet", {**pet_body, "version": 1})
    )

    assert response.status == 404


def test_update_needs_the_version(pets_table, rest_event, invoke, add_pet, pet_body):
    pet = add_pet()

    response = invoke(handle_update_pet, _pet_event(rest_event, "PUT", pet.id, pet_body))

    assert response.status == 422
    missing = {"code": "MissingField", "message": "version: Field required", "field": "version"}
    assert response.body["error"] == {**missing, "problems": [missing]}


def test_a_shopper_learns_nothing_about_an_admin_route_s_body(
    pets_table, rest_event, invoke, add_pet
):
    pet = add_pet()
    invalid = {"name": "", "stock": "many"}
    create = rest_event("POST", "/pets", caller="alice", body=invalid)
    update = _pet_event(rest_event, "PUT", pet.id, invalid, caller="alice")
    anonymous = rest_event("POST", "/pets", caller="anonymous", body=invalid)

    assert invoke(handle_create_pet, create).body["error"]["code"] == "Forbidden"
    assert invoke(handle_update_pet, update).status == 403
    assert invoke(handle_create_pet, anonymous).status == 401


def test_shopper_cannot_update_or_delete_a_pet(pets_table, rest_event, invoke, add_pet, pet_body):
    pet = add_pet()
    update = _pet_event(rest_event, "PUT", pet.id, {**pet_body, "version": 1}, caller="alice")
    delete = _pet_event(rest_event, "DELETE", pet.id, caller="alice")

    assert invoke(handle_update_pet, update).status == 403
    assert invoke(handle_delete_pet, delete).status == 403
    assert invoke(handle_get_pet, _pet_event(rest_event, "GET", pet.id)).body["version"] == 1


def test_deleted_pet_is_gone_from_reads_but_its_reservations_can_be_released(
    pets_table, rest_event, invoke, add_pet, stored_stock
):
    pet = add_pet(stock=5)
    reserve_stock(pet.id, "order-1", 2)

    response = invoke(handle_delete_pet, _pet_event(rest_event, "DELETE", pet.id))

    assert response.status == 204
    assert response.body is None
    assert invoke(handle_get_pet, _pet_event(rest_event, "GET", pet.id)).status == 404
    assert invoke(handle_list_pets, rest_event("GET", "/pets")).body["items"] == []
    assert release_stock(pet.id, "order-1") is ReleaseOutcome.RELEASED
    assert stored_stock(pet.id) == 5


def test_deleting_an_unknown_or_already_deleted_pet_is_404(pets_table, rest_event, invoke, add_pet):
    pet = add_pet()
    invoke(handle_delete_pet, _pet_event(rest_event, "DELETE", pet.id))

    assert invoke(handle_delete_pet, _pet_event(rest_event, "DELETE", pet.id)).status == 404
    assert invoke(handle_delete_pet, _pet_event(rest_event, "DELETE", "no-such-pet")).status == 404


def test_decrement_inventory_holds_stock_for_the_order(
    pets_table, rest_event, invoke, add_pet, stored_stock
):
    pet, order_id = add_pet(stock=5), str(uuid.uuid4())
    event = _pet_event(
        rest_event,
        "POST",
        pet.id,
        {"orderId": order_id, "quantity": 2},
        suffix="/decrementInventory",
    )
    event["requestContext"]["identity"]["userArn"] = "arn:aws:iam::123456789012:user/internal"

    response = invoke(handle_decrement_inventory, event)

    assert response.status == 200
    assert response.body["petId"] == pet.id
    assert response.body["orderId"] == order_id
    assert response.body["quantity"] == 2
    assert response.body["state"] == "HELD"
    assert stored_stock(pet.id) == 3


def test_write_without_a_caller_identity_is_401_even_if_the_gateway_let_it_through(
    pets_table, rest_event, invoke, pet_body
):
    response = invoke(handle_create_pet, rest_event("POST", "/pets", body=pet_body))

    assert response.status == 401
    assert response.body["error"]["code"] == "Unauthorized"
