"""What the orders service may know about pets: price and stock, read from the pets
table (read-only) through the pets service's own data access, so the item layout stays
known in one place."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from orders.settings import PetCatalogSettings
from pets.dal.pets_table import PetsTable
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.events.catalog import Money
from petstore_shared.settings import load_settings


@dataclass(frozen=True)
class PetOffer:
    pet_id: str
    price: Money
    stock: int


class PetCatalog:
    def __init__(self, pets: PetsTable):
        self._pets = pets

    def find_offer(self, pet_id: str) -> PetOffer | None:
        """The pet's price and current stock; None when it does not exist or was deleted."""
        pet = self._pets.find_pet(pet_id)
        if pet is None:
            return None
        price = Money(amount=pet.price.amount, currency=pet.price.currency)
        return PetOffer(pet_id=pet.id, price=price, stock=pet.stock)


@cache
def pet_catalog_from_environment() -> PetCatalog:
    table_name = load_settings(PetCatalogSettings).pets_table_name
    return PetCatalog(PetsTable(dynamodb_client(), table_name))
