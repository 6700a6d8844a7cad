from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from pets.dal.pets_table import pets_table_from_environment
from pets.logic.pet_announcements import pet_changed
from pets.models import Pet, PetDetails


def create_pet(details: PetDetails) -> Pet:
    """Add a pet to the catalogue at version 1, and announce it."""
    now = datetime.now(UTC)
    pet = Pet.from_details(details, pet_id=str(uuid4()), version=1, created_at=now, updated_at=now)
    pets_table_from_environment().add_pet(pet, pet_changed(pet))
    return pet
