"""The listing's opaque `nextToken`: base64url of where the previous page ended.

Decoding checks the token could have come from this same listing (same status, same
species filter); anything else is refused as InvalidNextToken rather than being passed
on to DynamoDB.
"""

from __future__ import annotations

import base64
import binascii
import json

from pets.dal.pets_table import ListingPosition
from pets.errors import InvalidNextToken
from pets.models import PetStatus

MAX_TOKEN_CHARS = 1024


def encode_page_token(position: ListingPosition) -> str:
    document = {"status": position.status, "sortKey": position.sort_key, "petId": position.pet_id}
    raw = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str, status: PetStatus, species: str | None) -> ListingPosition:
    document = _decode_document(token)
    position = ListingPosition(
        status=document["status"], sort_key=document["sortKey"], pet_id=document["petId"]
    )
    if not _belongs_to_listing(position, status, species):
        raise InvalidNextToken()
    return position


def _decode_document(token: str) -> dict[str, str]:
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidNextToken()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        document = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise InvalidNextToken() from error
    if (
        not isinstance(document, dict)
        or set(document) != {"status", "sortKey", "petId"}
        or not all(isinstance(value, str) and value for value in document.values())
    ):
        raise InvalidNextToken()
    return document


def _belongs_to_listing(position: ListingPosition, status: PetStatus, species: str | None) -> bool:
    prefix = f"{species}#" if species is not None else ""
    return (
        position.status == status.value
        and position.sort_key.startswith(prefix)
        and position.sort_key.endswith(f"#{position.pet_id}")
    )
