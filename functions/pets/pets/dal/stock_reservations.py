"""Stock held for orders: each reservation is an item beside its pet, written in the same
transaction as the stock change, so stock and reservations cannot disagree."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from pets.dal.pet_items import (
    DELETED_STATUS,
    is_listed_pet,
    pet_key,
    reservation_from_item,
    reservation_key,
    reservation_to_item,
)
from pets.errors import PetNotFound
from pets.models import Reservation, ReservationState
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
"""Positions of the pet and the reservation in both transactions, for reading the
cancellation reasons."""


class ReserveRefused(Exception):
    """The reserve transaction was cancelled; the attributes say why."""

    def __init__(self, existing_reservation: Reservation | None, pet_listed: bool):
        super().__init__("reserve transaction cancelled")
        self.existing_reservation = existing_reservation
        """The order's reservation (or release tombstone), if it already had one."""
        self.pet_listed = pet_listed
        """False when the pet does not exist or is deleted."""


class StockReservations:
    def __init__(self, client: DynamoDBClient, table_name: str):
        self._client = client
        self._table_name = table_name

    def reserve(
        self, pet_id: str, order_id: str, quantity: int, reserved_at: datetime
    ) -> Reservation:
        """Take the quantity from the pet's stock, if there is enough, and record the
        reservation, if the order has none yet; both or neither."""
        reservation = Reservation(
            pet_id=pet_id,
            order_id=order_id,
            quantity=quantity,
            state=ReservationState.RESERVED,
            reserved_at=reserved_at,
        )
        take_stock: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self._table_name,
                "Key": pet_key(reservation.pet_id),
                "UpdateExpression": (
                    "SET stock = stock - :quantity, version = version + :one, updatedAt = :now"
                ),
                "ConditionExpression": (
                    "attribute_exists(pk) AND #status <> :deleted AND stock >= :quantity"
                ),
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":quantity": {"N": str(reservation.quantity)},
                    ":one": {"N": "1"},
                    ":deleted": {"S": DELETED_STATUS},
                    ":now": {"S": format_timestamp(reserved_at)},
                },
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        record_reservation: TransactWriteItemTypeDef = {
            "Put": {
                "TableName": self._table_name,
                "Item": reservation_to_item(reservation),
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        try:
            transact_write(self._client, [take_stock, record_reservation])
        except TransactionCancelled as cancelled:
            if not _any_condition_failed(cancelled):
                raise
            existing = cancelled.old_item(RESERVATION_ITEM)
            raise ReserveRefused(
                existing_reservation=reservation_from_item(existing) if existing else None,
                pet_listed=not cancelled.failed_condition(PET_ITEM)
                or is_listed_pet(cancelled.old_item(PET_ITEM)),
            ) from cancelled
        return reservation

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
        return_stock: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self._table_name,
                "Key": pet_key(reservation.pet_id),
                "UpdateExpression": (
                    "SET stock = stock + :quantity, version = version + :one, updatedAt = :now"
                ),
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": {
                    ":quantity": {"N": str(reservation.quantity)},
                    ":one": {"N": "1"},
                    ":now": {"S": format_timestamp(released_at)},
                },
            }
        }
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


def _any_condition_failed(cancelled: TransactionCancelled) -> bool:
    return cancelled.failed_condition(PET_ITEM) or cancelled.failed_condition(RESERVATION_ITEM)
