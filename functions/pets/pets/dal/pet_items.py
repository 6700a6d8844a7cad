"""How pets and reservations are laid out in the single pets table.

    pet          pk=PET#<id>  sk=PET
    reservation  pk=PET#<id>  sk=RESERVATION#<orderId>
    hold         pk=PET#<id>  sk=HOLD#<orderId>   (decrementInventory's, until taken over)

A listed pet also carries the `byStatus` index keys: gsi1pk=STATUS#<status>,
gsi1sk=<species>#<createdAt>#<id>, so a species filter is a `begins_with` and the order
is stable. A deleted pet keeps its item (orders and reservations still refer to it) but
loses the index keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeGuard

from pets.models import HoldState, InventoryHold, Money, Pet, Reservation, ReservationState
from petstore_shared.item_timestamps import format_timestamp, parse_timestamp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

Item = dict[str, "AttributeValueTypeDef"]
RawItem = Mapping[str, Any]

PET_PREFIX = "PET#"
HOLD_PREFIX = "HOLD#"
PET_SORT_KEY = "PET"
STATUS_PREFIX = "STATUS#"
DELETED_STATUS = "deleted"
"""Stored status of a soft-deleted pet; never part of the API's PetStatus."""


def pet_partition_key(pet_id: str) -> str:
    return f"{PET_PREFIX}{pet_id}"


def pet_key(pet_id: str) -> Item:
    return {"pk": {"S": pet_partition_key(pet_id)}, "sk": {"S": PET_SORT_KEY}}


def reservation_key(pet_id: str, order_id: str) -> Item:
    return {"pk": {"S": pet_partition_key(pet_id)}, "sk": {"S": f"RESERVATION#{order_id}"}}


def hold_key(pet_id: str, order_id: str) -> Item:
    return {"pk": {"S": pet_partition_key(pet_id)}, "sk": {"S": f"{HOLD_PREFIX}{order_id}"}}


def listing_partition(status: str) -> str:
    return f"{STATUS_PREFIX}{status}"


def listing_sort_key(species: str, created_at: datetime, pet_id: str) -> str:
    return f"{species}#{format_timestamp(created_at)}#{pet_id}"


def pet_to_item(pet: Pet) -> Item:
    item: Item = {
        **pet_key(pet.id),
        "entity": {"S": "Pet"},
        "id": {"S": pet.id},
        "name": {"S": pet.name},
        "species": {"S": pet.species},
        "priceAmount": {"N": str(pet.price.amount)},
        "priceCurrency": {"S": pet.price.currency},
        "stock": {"N": str(pet.stock)},
        "tags": {"L": [{"S": tag} for tag in pet.tags]},
        "status": {"S": pet.status.value},
        "version": {"N": str(pet.version)},
        "createdAt": {"S": format_timestamp(pet.created_at)},
        "updatedAt": {"S": format_timestamp(pet.updated_at)},
        "gsi1pk": {"S": listing_partition(pet.status.value)},
        "gsi1sk": {"S": listing_sort_key(pet.species, pet.created_at, pet.id)},
    }
    if pet.description is not None:
        item["description"] = {"S": pet.description}
    return item


def is_listed_pet(item: RawItem | None) -> TypeGuard[RawItem]:
    """True for a pet the API shows: present and not deleted."""
    return item is not None and "status" in item and item["status"]["S"] != DELETED_STATUS


def pet_from_item(item: RawItem) -> Pet:
    return Pet(
        id=item["id"]["S"],
        name=item["name"]["S"],
        species=item["species"]["S"],
        price=Money(amount=Decimal(item["priceAmount"]["N"]), currency=item["priceCurrency"]["S"]),
        stock=int(item["stock"]["N"]),
        description=item["description"]["S"] if "description" in item else None,
        tags=[tag["S"] for tag in item["tags"]["L"]],
        status=item["status"]["S"],
        version=int(item["version"]["N"]),
        created_at=parse_timestamp(item["createdAt"]["S"]),
        updated_at=parse_timestamp(item["updatedAt"]["S"]),
    )


def reservation_to_item(reservation: Reservation) -> Item:
    item: Item = {
        **reservation_key(reservation.pet_id, reservation.order_id),
        "entity": {"S": "Reservation"},
        "petId": {"S": reservation.pet_id},
        "orderId": {"S": reservation.order_id},
        "quantity": {"N": str(reservation.quantity)},
        "state": {"S": reservation.state.value},
    }
    if reservation.reserved_at is not None:
        item["reservedAt"] = {"S": format_timestamp(reservation.reserved_at)}
    if reservation.released_at is not None:
        item["releasedAt"] = {"S": format_timestamp(reservation.released_at)}
    return item


def reservation_from_item(item: RawItem) -> Reservation:
    return Reservation(
        pet_id=item["petId"]["S"],
        order_id=item["orderId"]["S"],
        quantity=int(item["quantity"]["N"]),
        state=ReservationState(item["state"]["S"]),
        reserved_at=parse_timestamp(item["reservedAt"]["S"]) if "reservedAt" in item else None,
        released_at=parse_timestamp(item["releasedAt"]["S"]) if "releasedAt" in item else None,
    )


def hold_to_item(hold: InventoryHold) -> Item:
    item: Item = {
        **hold_key(hold.pet_id, hold.order_id),
        "entity": {"S": "Hold"},
        "petId": {"S": hold.pet_id},
        "orderId": {"S": hold.order_id},
        "quantity": {"N": str(hold.quantity)},
        "state": {"S": hold.state.value},
        "holder": {"S": hold.holder},
        "heldAt": {"S": format_timestamp(hold.held_at)},
        "expiresAt": {"S": format_timestamp(hold.expires_at)},
    }
    if hold.ended_at is not None:
        item["endedAt"] = {"S": format_timestamp(hold.ended_at)}
    return item


def hold_from_item(item: RawItem) -> InventoryHold:
    return InventoryHold(
        pet_id=item["petId"]["S"],
        order_id=item["orderId"]["S"],
        quantity=int(item["quantity"]["N"]),
        state=HoldState(item["state"]["S"]),
        holder=item["holder"]["S"],
        held_at=parse_timestamp(item["heldAt"]["S"]),
        expires_at=parse_timestamp(item["expiresAt"]["S"]),
        ended_at=parse_timestamp(item["endedAt"]["S"]) if "endedAt" in item else None,
    )
