from __future__ import annotations

from pets.dal.pets_table import pets_table_from_environment
from pets.errors import PetNotFound
from pets.models import Pet


def get_pet(pet_id: str) -> Pet:
    """The pet with its current stock; a deleted pet is not found."""
    pet = pets_table_from_environment().find_pet(pet_id)
    if pet is None:
        raise PetNotFound(pet_id)
    return pet
