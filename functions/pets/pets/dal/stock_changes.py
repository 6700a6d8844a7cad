"""The parts of a transaction that move stock between a pet and what holds it: taking it
(for a reservation or a hold), giving it back, and ending the holds it comes from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from pets.dal.pet_items import DELETED_STATUS, hold_key, pet_key
from pets.models import HoldState, InventoryHold
from petstore_shared.item_timestamps import format_timestamp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


def take_stock(
    table_name: str, pet_id: str, quantity: int, freed: int, now: datetime
) -> TransactWriteItemTypeDef:
    """Take `quantity` from a listed pet's stock, counting `freed` units that holds ending
    in the same transaction give back: refused unless stock + freed >= quantity."""
    net = quantity - freed
    return {
        "Update": {
            "TableName": table_name,
            "Key": pet_key(pet_id),
            "UpdateExpression": (
                "SET stock = stock - :net, version = version + :one, updatedAt = :now"
            ),
            "ConditionExpression": "attribute_exists(pk) AND #status <> :deleted AND stock >= :net",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":net": {"N": str(net)},
                ":one": {"N": "1"},
                ":deleted": {"S": DELETED_STATUS},
                ":now": {"S": format_timestamp(now)},
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def give_back_stock(
    table_name: str, pet_id: str, quantity: int, now: datetime
) -> TransactWriteItemTypeDef:
    """Return stock to the pet, deleted or not (its item stays)."""
    return {
        "Update": {
            "TableName": table_name,
            "Key": pet_key(pet_id),
            "UpdateExpression": (
                "SET stock = stock + :quantity, version = version + :one, updatedAt = :now"
            ),
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": {
                ":quantity": {"N": str(quantity)},
                ":one": {"N": "1"},
                ":now": {"S": format_timestamp(now)},
            },
        }
    }


def end_hold(
    table_name: str, hold: InventoryHold, state: HoldState, now: datetime
) -> TransactWriteItemTypeDef:
    """Move a HELD hold to `state`, if it is still HELD with its quantity; an EXPIRED
    ending also needs its expiry to have passed."""
    condition = "#state = :held AND quantity = :quantity"
    values = {
        ":held": {"S": HoldState.HELD.value},
        ":quantity": {"N": str(hold.quantity)},
        ":ended": {"S": state.value},
        ":now": {"S": format_timestamp(now)},
    }
    if state is HoldState.EXPIRED:
        condition += " AND expiresAt <= :now"
    return {
        "Update": {
            "TableName": table_name,
            "Key": hold_key(hold.pet_id, hold.order_id),
            "UpdateExpression": "SET #state = :ended, endedAt = :now",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def expire_holds(
    table_name: str, holds: Sequence[InventoryHold], now: datetime
) -> list[TransactWriteItemTypeDef]:
    return [end_hold(table_name, hold, HoldState.EXPIRED, now) for hold in holds]


def freed_by(holds: Sequence[InventoryHold]) -> int:
    return sum(hold.quantity for hold in holds)
