from __future__ import annotations

from datetime import UTC, datetime

from pets.dal.pets_table import pets_table_from_environment
from pets.errors import PetKeptChanging, PetNotFound
from pets.logic.pet_announcements import pet_changed

DELETE_ATTEMPTS = 5
"""Reservations change the pet's version too; each attempt reads it again."""


def delete_pet(pet_id: str) -> None:
    """Take the pet off sale for good, and announce it. Orders keep their own snapshot of
    it, and its reservations can still be released.

    The announcement carries the version the delete gives the pet, so the delete is
    conditional on the version it read: a reservation in between means reading again."""
    table = pets_table_from_environment()
    for _ in range(DELETE_ATTEMPTS):
        pet = table.find_pet(pet_id)
        if pet is None:
            raise PetNotFound(pet_id)
        deleted = pet.model_copy(
            update={"version": pet.version + 1, "updated_at": datetime.now(UTC)}
        )
        if table.mark_pet_deleted(deleted, pet_changed(deleted, deleted=True)):
            return
    raise PetKeptChanging(pet_id)
