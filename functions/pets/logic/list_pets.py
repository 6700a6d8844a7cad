from __future__ import annotations

from pets.dal.pets_table import InvalidListingPosition, pets_table_from_environment
from pets.errors import InvalidNextToken
from pets.logic.page_token import decode_page_token, encode_page_token
from pets.models import PetPage, PetStatus


def list_pets(
    status: PetStatus, species: str | None, limit: int, next_token: str | None
) -> PetPage:
    """One page of pets with `status` (of one species, if given), in a stable order:
    species, then date added."""
    after = decode_page_token(next_token, status, species) if next_token else None
    try:
        pets, end = pets_table_from_environment().list_pets(status, species, limit, after)
    except InvalidListingPosition as error:
        raise InvalidNextToken() from error
    return PetPage(items=pets, next_token=encode_page_token(end) if end else None)
