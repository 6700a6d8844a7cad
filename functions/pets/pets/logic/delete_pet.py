from __future__ import annotations

from datetime import UTC, datetime

from pets.dal.pets_table import pets_table_from_environment


def delete_pet(pet_id: str) -> None:
    """Take the pet off sale for good. Orders keep their own snapshot of it, and its
    reservations can still be released."""
    pets_table_from_environment().mark_pet_deleted(pet_id, datetime.now(UTC))
