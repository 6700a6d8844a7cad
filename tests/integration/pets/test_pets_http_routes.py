"""Each pets route's success path over real HTTP, through the local cloud's API Gateway,
authorizers and function workers, as template.yaml declares them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pets_http import AddPet, Json, PetStoreClients, Reserve, error_of, order_id_for

pytestmark = pytest.mark.integration

MISSING_PET_ID = "00000000-0000-0000-0000-000000000000"


def test_admin_adds_a_pet_that_anyone_can_then_read(
    petstore: PetStoreClients, pet_details: Json
) -> None:
    created = petstore.admin.post("/pets", pet_details)

    assert created.status_code == 201, created.text
    pet = created.json()
    assert created.headers["Location"] == f"/pets/{pet['id']}"
    assert created.headers["Content-Type"].startswith("application/json")
    assert {key: pet[key] for key in pet_details} == pet_details
    assert (pet["status"], pet["version"]) == ("available", 1)
    assert pet["createdAt"] == pet["updatedAt"]

    read = petstore.anonymous.get(created.headers["Location"])
    assert read.status_code == 200
    assert read.json() == pet


def test_new_pet_is_normalised_and_defaulted(petstore: PetStoreClients) -> None:
    body = {
        "name": "  Biscuit  ",
        "species": " Dog ",
        "price": {"amount": 12.5, "currency": "EUR"},
        "stock": 0,
    }

    pet = petstore.admin.post("/pets", body).json()

    assert (pet["name"], pet["species"]) == ("Biscuit", "dog")
    assert Decimal(pet["price"]["amount"]) == Decimal("12.5")
    assert (pet["description"], pet["tags"], pet["status"]) == (None, [], "available")
    assert petstore.anonymous.get(f"/pets/{pet['id']}").json() == pet


def test_listing_shows_available_pets_by_species_then_date_added(
    petstore: PetStoreClients, add_pet: AddPet
) -> None:
    first_dog = add_pet(name="Biscuit", species="dog", stock=3)
    cat = add_pet(name="Mochi", species="cat", stock=5)
    second_dog = add_pet(name="Pepper", species="dog", stock=1)
    sold = add_pet(name="Ghost", species="cat", status="sold")

    listed = petstore.anonymous.get("/pets")

    assert listed.status_code == 200
    assert listed.json() == {"items": [cat, first_dog, second_dog]}
    dogs = petstore.anonymous.get("/pets", params={"species": "dog"}).json()
    assert dogs["items"] == [first_dog, second_dog]
    assert petstore.anonymous.get("/pets", params={"status": "sold"}).json()["items"] == [sold]


def test_admin_replaces_a_pet_at_its_current_version(
    petstore: PetStoreClients, add_pet: AddPet, pet_details: Json
) -> None:
    pet = add_pet()
    change = {**pet_details, "stock": 7, "tags": ["calm"], "status": "pending", "version": 1}

    replaced = petstore.admin.put(f"/pets/{pet['id']}", change)

    assert replaced.status_code == 200, replaced.text
    updated = replaced.json()
    assert (updated["version"], updated["stock"], updated["tags"]) == (2, 7, ["calm"])
    assert updated["createdAt"] == pet["createdAt"]
    assert updated["updatedAt"] > pet["updatedAt"]
    assert petstore.anonymous.get(f"/pets/{pet['id']}").json() == updated
    assert petstore.anonymous.get("/pets").json()["items"] == []
    assert petstore.anonymous.get("/pets?status=pending").json()["items"] == [updated]


def test_replacing_from_a_stale_version_is_a_conflict_and_changes_nothing(
    petstore: PetStoreClients, add_pet: AddPet, pet_details: Json
) -> None:
    pet = add_pet()
    assert petstore.admin.put(f"/pets/{pet['id']}", {**pet_details, "version": 1}).ok

    stale = petstore.admin.put(f"/pets/{pet['id']}", {**pet_details, "stock": 0, "version": 1})

    assert stale.status_code == 409
    assert (error_of(stale)["code"], error_of(stale)["field"]) == ("VersionConflict", "version")
    current = petstore.anonymous.get(f"/pets/{pet['id']}").json()
    assert (current["version"], current["stock"]) == (2, pet_details["stock"])


def test_deleted_pet_is_gone_from_reads_listing_and_writes(
    petstore: PetStoreClients, add_pet: AddPet, pet_details: Json, reserve: Reserve
) -> None:
    pet, other = add_pet(), add_pet(name="Pepper")
    path = f"/pets/{pet['id']}"

    deleted = petstore.admin.delete(path)

    assert deleted.status_code == 204
    assert deleted.content == b""
    read = petstore.anonymous.get(path)
    assert read.status_code == 404
    assert error_of(read)["code"] == "NotFound"
    assert petstore.anonymous.get("/pets").json()["items"] == [other]
    assert petstore.admin.put(path, {**pet_details, "version": 1}).status_code == 404
    assert petstore.admin.delete(path).status_code == 404
    assert reserve(pet["id"], "order-1", 1).status_code == 404


def test_unknown_pet_is_not_found_on_every_route(
    petstore: PetStoreClients, pet_details: Json, reserve: Reserve
) -> None:
    path = f"/pets/{MISSING_PET_ID}"

    answers = [
        petstore.anonymous.get(path),
        petstore.admin.put(path, {**pet_details, "version": 1}),
        petstore.admin.delete(path),
        reserve(MISSING_PET_ID, "order-1", 1),
    ]

    assert [answer.status_code for answer in answers] == [404] * 4
    assert {error_of(answer)["code"] for answer in answers} == {"NotFound"}


def test_signed_decrement_reserves_stock_for_an_order(
    petstore: PetStoreClients, add_pet: AddPet, reserve: Reserve
) -> None:
    pet = add_pet(stock=5)

    reserved = reserve(pet["id"], "order-1", 2)

    assert reserved.status_code == 200, reserved.text
    reservation = reserved.json()
    assert {key: reservation[key] for key in ("petId", "orderId", "quantity", "state")} == {
        "petId": pet["id"],
        "orderId": order_id_for("order-1"),
        "quantity": 2,
        "state": "HELD",
    }
    after = petstore.anonymous.get(f"/pets/{pet['id']}").json()
    assert (after["stock"], after["version"]) == (3, 2)


def test_unknown_route_is_missing_authentication_token(petstore: PetStoreClients) -> None:
    unknown = [
        ("GET", "/nope"),
        ("GET", "/"),
        ("PATCH", "/pets/some-id"),
        ("GET", "/pets/some-id/decrementInventory"),
        ("POST", "/pets/some-id/unknown"),
    ]

    for client in (petstore.anonymous, petstore.admin):
        for method, path in unknown:
            answer = client.request(method, path)

            assert answer.status_code == 403, (method, path)
            assert answer.json()["error"]["code"] == "MissingAuthenticationToken"
            assert answer.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
