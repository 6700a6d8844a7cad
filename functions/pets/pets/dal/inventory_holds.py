"""Holds: stock an internal caller took for an order (decrementInventory), each an item
beside its pet written in the same transaction as the stock change, until the order's
saga takes it over, its caller releases it, or it expires."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from pets.dal.pet_items import (
    HOLD_PREFIX,
    hold_from_item,
    hold_key,
    hold_to_item,
    is_listed_pet,
    pet_partition_key,
    reservation_key,
)
from pets.dal.stock_changes import end_hold, expire_holds, freed_by, give_back_stock, take_stock
from pets.models import HoldState, InventoryHold
from pets.settings import PetsSettings
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.dynamodb_transactions import TransactionCancelled, transact_write
from petstore_shared.item_timestamps import format_timestamp
from petstore_shared.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

PET_ITEM = 0
HOLD_ITEM = 1
ORDER_RESERVATION_ITEM = 2
"""Positions of the items in the hold transaction, for reading the cancellation reasons;
the expired holds it frees come after them."""


class HoldRefused(Exception):
    """The hold transaction was cancelled; the attributes say why."""

    def __init__(self, cancelled: TransactionCancelled):
        super().__init__("hold transaction cancelled")
        existing = cancelled.old_item(HOLD_ITEM)
        self.existing_hold = hold_from_item(existing) if existing else None
        """The order's hold, if it already had one."""
        self.order_reserved = cancelled.failed_condition(ORDER_RESERVATION_ITEM)
        """The order's saga already reserved (or released) its stock."""
        self.pet_listed = not cancelled.failed_condition(PET_ITEM) or is_listed_pet(
            cancelled.old_item(PET_ITEM)
        )
        self.short_of_stock = cancelled.failed_condition(PET_ITEM) and self.pet_listed


class InventoryHolds:
    def __init__(self, client: DynamoDBClient, table_name: str):
        self._client = client
        self._table_name = table_name

    def hold(self, hold: InventoryHold, *, freeing: Sequence[InventoryHold]) -> None:
        """Take the hold's quantity from the pet's stock and record the hold, if the order
        has neither a hold nor a reservation yet; all or nothing. Expired holds
        (`freeing`) end in the same transaction and their stock counts toward it."""
        items: list[TransactWriteItemTypeDef] = [
            take_stock(
                self._table_name, hold.pet_id, hold.quantity, freed_by(freeing), hold.held_at
            ),
            {
                "Put": {
                    "TableName": self._table_name,
                    "Item": hold_to_item(hold),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {
                "ConditionCheck": {
                    "TableName": self._table_name,
                    "Key": reservation_key(hold.pet_id, hold.order_id),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *expire_holds(self._table_name, freeing, hold.held_at),
        ]
        try:
            transact_write(self._client, items)
        except TransactionCancelled as cancelled:
            if not any(cancelled.failed_condition(index) for index in range(len(items))):
                raise
            raise HoldRefused(cancelled) from cancelled

    def find_hold(self, pet_id: str, order_id: str) -> InventoryHold | None:
        response = self._client.get_item(
            TableName=self._table_name, Key=hold_key(pet_id, order_id), ConsistentRead=True
        )
        item = response.get("Item")
        return hold_from_item(item) if item else None

    def expired_holds(self, pet_id: str, now: datetime, limit: int) -> list[InventoryHold]:
        """Up to `limit` of the pet's holds still HELD after their expiry."""
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :holds)",
            "FilterExpression": "#state = :held AND expiresAt <= :now",
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": {
                ":pk": {"S": pet_partition_key(pet_id)},
                ":holds": {"S": HOLD_PREFIX},
                ":held": {"S": HoldState.HELD.value},
                ":now": {"S": format_timestamp(now)},
            },
            "ConsistentRead": True,
        }
        expired: list[InventoryHold] = []
        while len(expired) < limit:
            response = self._client.query(**query)
            expired += [hold_from_item(item) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return expired[:limit]

    def end(self, hold: InventoryHold, state: HoldState, now: datetime) -> bool:
        """End a HELD hold (RELEASED, or EXPIRED once past its expiry) and give its stock
        back; False, and nothing changed, when it was no longer HELD."""
        try:
            transact_write(
                self._client,
                [
                    give_back_stock(self._table_name, hold.pet_id, hold.quantity, now),
                    end_hold(self._table_name, hold, state, now),
                ],
            )
        except TransactionCancelled as cancelled:
            if cancelled.failed_condition(HOLD_ITEM):
                return False
            raise
        return True


@cache
def inventory_holds_from_environment() -> InventoryHolds:
    settings = load_settings(PetsSettings)
    return InventoryHolds(dynamodb_client(), settings.pets_table_name)
