"""Fixtures of the pets integration tests: pets added through the API as the admin, and
stock reserved through the signed internal route."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from pets_http import (
    AddPet,
    Json,
    PetStoreClients,
    Reserve,
    reservation_request,
    valid_pet_details,
)


@pytest.fixture
def pet_details() -> Json:
    """A body POST /pets accepts; each test gets its own copy to change."""
    return valid_pet_details()


@pytest.fixture
def add_pet(petstore: PetStoreClients) -> AddPet:
    """Adds a pet as the admin, with the valid details overridden by keyword, and
    returns it as the API answered."""

    def add(**overrides: Any) -> Json:
        response = petstore.admin.post("/pets", {**valid_pet_details(), **overrides})
        assert response.status_code == 201, response.text
        pet: Json = response.json()
        return pet

    return add


@pytest.fixture
def reserve(petstore: PetStoreClients) -> Reserve:
    """POST /pets/{petId}/decrementInventory signed with SigV4, as an internal caller."""

    def call(pet_id: str, order_id: str, quantity: int) -> requests.Response:
        path = f"/pets/{pet_id}/decrementInventory"
        return petstore.anonymous.signed("POST", path, reservation_request(order_id, quantity))

    return call
