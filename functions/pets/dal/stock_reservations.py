"""Stock held for orders: each reservation is an item beside its pet, written in the same
transaction as the stock change, so stock and reservations cannot disagree."""

from __future__ import annotations

import random
import time
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pets.dal.pet_items import (
    DELETED_STATUS,
    format_timestamp,
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
from petstore_shared.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

TRANSACTION_ATTEMPTS = 5


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
            self._transact([take_stock, record_reservation])
        except ClientError as error:
            if not _is_cancelled(error):
                raise
            pet_reason, reservation_reason = _cancellation_reasons(error)
            raise ReserveRefused(
                existing_reservation=_existing_reservation(reservation_reason),
                pet_listed=not _failed_condition(pet_reason)
                or is_listed_pet(pet_reason.get("Item")),
            ) from error
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
            self._transact([mark_released, return_stock])
        except ClientError as error:
            if not _is_cancelled(error):
                raise
            reservation_reason, pet_reason = _cancellation_reasons(error)
            if _failed_condition(reservation_reason):
                return False
            if _failed_condition(pet_reason):
                raise PetNotFound(reservation.pet_id) from error
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

    def _transact(self, items: list[TransactWriteItemTypeDef]) -> None:
        """TransactWriteItems, retried while DynamoDB cancels it only because another
        transaction was touching the same items at that moment."""
        for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
            try:
                self._client.transact_write_items(TransactItems=items)
                return
            except ClientError as error:
                if attempt == TRANSACTION_ATTEMPTS or not _lost_to_concurrent_transaction(error):
                    raise
                time.sleep(random.uniform(0, 0.01 * 2**attempt))


@cache
def stock_reservations_from_environment() -> StockReservations:
    settings = load_settings(PetsSettings)
    return StockReservations(dynamodb_client(), settings.pets_table_name)


def _is_cancelled(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "TransactionCanceledException"


def _cancellation_reasons(error: ClientError) -> list[dict[str, Any]]:
    """One reason per transaction item, in order ({"Code": "None"} for items that passed)."""
    reasons: list[dict[str, Any]] = error.response.get("CancellationReasons") or [{}, {}]
    return reasons


def _failed_condition(reason: dict[str, Any]) -> bool:
    return reason.get("Code") == "ConditionalCheckFailed"


def _lost_to_concurrent_transaction(error: ClientError) -> bool:
    if not _is_cancelled(error):
        return False
    reasons = _cancellation_reasons(error)
    conflicted = any(reason.get("Code") == "TransactionConflict" for reason in reasons)
    return conflicted and not any(_failed_condition(reason) for reason in reasons)


def _existing_reservation(reason: dict[str, Any]) -> Reservation | None:
    if _failed_condition(reason) and reason.get("Item"):
        return reservation_from_item(reason["Item"])
    return None
