from __future__ import annotations

from datetime import UTC, datetime

from pets.dal.pets_table import pets_table_from_environment
from pets.errors import PetNotFound
from pets.logic.pet_announcements import pet_changed
from pets.models import Pet, PetDetails


def update_pet(pet_id: str, details: PetDetails, expected_version: int) -> Pet:
    """Replace the pet's details if nobody changed it since `expected_version` was read
    (VersionConflict otherwise), and announce the change. Every change, stock included,
    bumps the version."""
    table = pets_table_from_environment()
    current = table.find_pet(pet_id)
    if current is None:
        raise PetNotFound(pet_id)
    replacement = Pet.from_details(
        details,
        pet_id=pet_id,
        version=expected_version + 1,
        created_at=current.created_at,
        updated_at=datetime.now(UTC),
    )
    table.replace_pet(replacement, expected_version, pet_changed(replacement))
    return replacement
