"""Stock held for orders: each reservation is an item beside its pet, written in the same
transaction as the stock change, so stock and reservations cannot disagree."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from pets.dal.pet_items import (
    hold_key,
    is_listed_pet,
    reservation_from_item,
    reservation_key,
    reservation_to_item,
)
from pets.dal.stock_changes import end_hold, expire_holds, freed_by, give_back_stock, take_stock
from pets.errors import PetNotFound
from pets.models import HoldState, InventoryHold, Reservation, ReservationState
from pets.settings import PetsSettings
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.dynamodb_transactions import TransactionCancelled, transact_write
from petstore_shared.item_timestamps import format_timestamp
from petstore_shared.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

PET_ITEM = 0
RESERVATION_ITEM = 1
ORDER_HOLD_ITEM = 2
"""Positions of the items in the transactions, for reading the cancellation reasons; the
expired holds a reservation frees come after them."""


class ReserveRefused(Exception):
    """The reserve transaction was cancelled; the attributes say why."""

    def __init__(self, cancelled: TransactionCancelled):
        super().__init__("reserve transaction cancelled")
        existing = cancelled.old_item(RESERVATION_ITEM)
        self.existing_reservation = reservation_from_item(existing) if existing else None
        """The order's reservation (or release tombstone), if it already had one."""
        self.pet_listed = not cancelled.failed_condition(PET_ITEM) or is_listed_pet(
            cancelled.old_item(PET_ITEM)
        )
        """False when the pet does not exist or is deleted."""
        self.short_of_stock = cancelled.failed_condition(PET_ITEM) and self.pet_listed
        self.order_hold_changed = cancelled.failed_condition(ORDER_HOLD_ITEM)
        """The order's hold is not as the transaction expected: read it again."""


class StockReservations:
    def __init__(self, client: DynamoDBClient, table_name: str):
        self._client = client
        self._table_name = table_name

    def reserve(
        self,
        reservation: Reservation,
        *,
        order_hold: InventoryHold | None,
        freeing: Sequence[InventoryHold],
        now: datetime,
    ) -> None:
        """Take the quantity from the pet's stock, if there is enough, and record the
        reservation, if the order has none yet; all or nothing. The order's HELD hold
        (`order_hold`) ends in the same transaction, TAKEN_OVER (or EXPIRED, once past its
        expiry), its stock counted toward the reservation; without one, the order must
        have no HELD hold. Expired holds of other orders (`freeing`) end too, their stock
        counted toward it."""
        held = order_hold.quantity if order_hold is not None else 0
        items: list[TransactWriteItemTypeDef] = [
            take_stock(
                self._table_name,
                reservation.pet_id,
                reservation.quantity,
                held + freed_by(freeing),
                now,
            ),
            {
                "Put": {
                    "TableName": self._table_name,
                    "Item": reservation_to_item(reservation),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            self._order_hold_item(reservation, order_hold, now),
            *expire_holds(self._table_name, freeing, now),
        ]
        try:
            transact_write(self._client, items)
        except TransactionCancelled as cancelled:
            if not any(cancelled.failed_condition(index) for index in range(len(items))):
                raise
            raise ReserveRefused(cancelled) from cancelled

    def _order_hold_item(
        self, reservation: Reservation, order_hold: InventoryHold | None, now: datetime
    ) -> TransactWriteItemTypeDef:
        if order_hold is not None:
            live = order_hold.expires_at > now
            ending = HoldState.TAKEN_OVER if live else HoldState.EXPIRED
            return end_hold(self._table_name, order_hold, ending, now)
        return {
            "ConditionCheck": {
                "TableName": self._table_name,
                "Key": hold_key(reservation.pet_id, reservation.order_id),
                "ConditionExpression": "attribute_not_exists(pk) OR #state <> :held",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": {":held": {"S": HoldState.HELD.value}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def find_reservation(self, pet_id: str, order_id: str) -> Reservation | None:
        response = self._client.get_item(
            TableName=self._table_name,
            Key=reservation_key(pet_id, order_id),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return reservation_from_item(item) if item else None

    def release(self, reservation: Reservation, released_at: datetime) -> bool:
        """Mark the reservation RELEASED and give its quantity back to the pet; False, and
        nothing changed, when it was no longer RESERVED."""
        mark_released: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self._table_name,
                "Key": reservation_key(reservation.pet_id, reservation.order_id),
                "UpdateExpression": "SET #state = :released, releasedAt = :now",
                "ConditionExpression": "#state = :reserved AND quantity = :quantity",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": {
                    ":released": {"S": ReservationState.RELEASED.value},
                    ":reserved": {"S": ReservationState.RESERVED.value},
                    ":quantity": {"N": str(reservation.quantity)},
                    ":now": {"S": format_timestamp(released_at)},
                },
            }
        }
        return_stock = give_back_stock(
            self._table_name, reservation.pet_id, reservation.quantity, released_at
        )
        try:
            transact_write(self._client, [return_stock, mark_released])
        except TransactionCancelled as cancelled:
            if cancelled.failed_condition(RESERVATION_ITEM):
                return False
            if cancelled.failed_condition(PET_ITEM):
                raise PetNotFound(reservation.pet_id) from cancelled
            raise
        return True

    def record_release_before_reserve(self, tombstone: Reservation) -> bool:
        """Store a RELEASED reservation for an order that has none, so that its reserve,
        arriving late, is refused. False, and nothing changed, when one exists already."""
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=reservation_to_item(tombstone),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


@cache
def stock_reservations_from_environment() -> StockReservations:
    settings = load_settings(PetsSettings)
    return StockReservations(dynamodb_client(), settings.pets_table_name)
