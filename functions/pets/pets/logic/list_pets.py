from __future__ import annotations

from pets.dal.pets_table import pets_table_from_environment
from pets.models import PetPage, PetStatus


def list_pets(
    status: PetStatus, species: str | None, limit: int, next_token: str | None
) -> PetPage:
    """One page of pets with `status` (of one species, if given), in a stable order:
    species, then date added. A `next_token` this listing did not issue is refused as
    InvalidNextToken."""
    return pets_table_from_environment().list_pets(status, species, limit, next_token)
