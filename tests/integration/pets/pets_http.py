"""What the pets integration tests share: a valid pet, the clients of the `petstore`
fixture as the tests see them, and how to read an error body."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Protocol

import requests

from support.api_client import ApiClient

Json = dict[str, Any]
AddPet = Callable[..., Json]
"""The `add_pet` fixture: details by keyword, the created pet back."""
Reserve = Callable[[str, str, int], requests.Response]
"""The `reserve` fixture: (petId, orderId, quantity), signed."""


class PetStoreClients(Protocol):
    """The part of the `petstore` fixture these tests use: one client per demo user."""

    @property
    def anonymous(self) -> ApiClient: ...

    @property
    def alice(self) -> ApiClient: ...

    @property
    def admin(self) -> ApiClient: ...


def valid_pet_details() -> Json:
    return {
        "name": "Biscuit",
        "species": "dog",
        "price": {"amount": "450.00", "currency": "USD"},
        "stock": 3,
        "description": "Beagle puppy, 10 weeks.",
        "tags": ["puppy", "beagle"],
    }


def error_of(response: requests.Response) -> Json:
    """The `error` object of the services' JSON error body."""
    error: Json = response.json()["error"]
    return error


def order_id_for(name: str) -> str:
    """The order id (a UUID, as the orders service writes them) a test calls `name`."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"petstore-test-order:{name}"))


def reservation_request(order_id: str, quantity: int) -> Json:
    """A decrementInventory body for the order a test calls `order_id`."""
    return {"orderId": order_id_for(order_id), "quantity": quantity}
