"""Pets in the pets table: add, read, replace, soft-delete, and list by status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pets.dal.pet_items import (
    DELETED_STATUS,
    PET_PREFIX,
    STATUS_PREFIX,
    format_timestamp,
    is_listed_pet,
    listing_partition,
    pet_from_item,
    pet_key,
    pet_to_item,
)
from pets.errors import PetNotFound, VersionConflict
from pets.models import Pet, PetStatus
from pets.settings import PetsSettings
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LISTING_INDEX = "byStatus"


@dataclass(frozen=True)
class ListingPosition:
    """Where a page of the listing ended; the next page starts after it."""

    status: str
    sort_key: str
    pet_id: str


class InvalidListingPosition(Exception):
    """DynamoDB refused the position as a starting key."""


class PetsTable:
    def __init__(self, client: DynamoDBClient, table_name: str):
        self._client = client
        self._table_name = table_name

    def add_pet(self, pet: Pet) -> None:
        self._client.put_item(
            TableName=self._table_name,
            Item=pet_to_item(pet),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def find_pet(self, pet_id: str) -> Pet | None:
        """The pet, or None when it never existed or was deleted."""
        response = self._client.get_item(
            TableName=self._table_name, Key=pet_key(pet_id), ConsistentRead=True
        )
        item = response.get("Item")
        return pet_from_item(item) if is_listed_pet(item) else None

    def replace_pet(self, pet: Pet, expected_version: int) -> None:
        """Write `pet` over the stored one if that one is still at `expected_version`."""
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=pet_to_item(pet),
                ConditionExpression=(
                    "attribute_exists(pk) AND #status <> :deleted AND version = :expected"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":deleted": {"S": DELETED_STATUS},
                    ":expected": {"N": str(expected_version)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            if not is_listed_pet(error.response.get("Item")):  # type: ignore[arg-type]
                raise PetNotFound(pet.id) from error
            raise VersionConflict(pet.id, expected_version) from error

    def mark_pet_deleted(self, pet_id: str, deleted_at: datetime) -> None:
        """Soft delete: the item stays for orders and reservations that refer to it, but it
        leaves the listing index and reads as not found."""
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key=pet_key(pet_id),
                UpdateExpression=(
                    "SET #status = :deleted, deletedAt = :now, updatedAt = :now, "
                    "version = version + :one REMOVE gsi1pk, gsi1sk"
                ),
                ConditionExpression="attribute_exists(pk) AND #status <> :deleted",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":deleted": {"S": DELETED_STATUS},
                    ":now": {"S": format_timestamp(deleted_at)},
                    ":one": {"N": "1"},
                },
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise PetNotFound(pet_id) from error
            raise

    def list_pets(
        self,
        status: PetStatus,
        species: str | None,
        limit: int,
        after: ListingPosition | None,
    ) -> tuple[list[Pet], ListingPosition | None]:
        """One page in index order, and where it ended (None when nothing follows)."""
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": LISTING_INDEX,
            "KeyConditionExpression": "gsi1pk = :partition",
            "ExpressionAttributeValues": {":partition": {"S": listing_partition(status.value)}},
            # One more than asked tells whether another page follows, so the last page
            # carries no token instead of leading to an empty page.
            "Limit": limit + 1,
        }
        if species is not None:
            query["KeyConditionExpression"] += " AND begins_with(gsi1sk, :species)"
            query["ExpressionAttributeValues"][":species"] = {"S": f"{species}#"}
        if after is not None:
            query["ExclusiveStartKey"] = _listing_key(after)
        try:
            response = self._client.query(**query)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ValidationException" and after is not None:
                raise InvalidListingPosition(str(error)) from error
            raise
        items = response.get("Items", [])
        if len(items) > limit:
            return [pet_from_item(item) for item in items[:limit]], _position_of(items[limit - 1])
        last_key = response.get("LastEvaluatedKey")
        return [pet_from_item(item) for item in items], _position_of(last_key) if last_key else None


@cache
def pets_table_from_environment() -> PetsTable:
    settings = load_settings(PetsSettings)
    return PetsTable(dynamodb_client(), settings.pets_table_name)


def _listing_key(position: ListingPosition) -> dict[str, Any]:
    return {
        **pet_key(position.pet_id),
        "gsi1pk": {"S": listing_partition(position.status)},
        "gsi1sk": {"S": position.sort_key},
    }


def _position_of(key: Any) -> ListingPosition:
    return ListingPosition(
        status=key["gsi1pk"]["S"].removeprefix(STATUS_PREFIX),
        sort_key=key["gsi1sk"]["S"],
        pet_id=key["pk"]["S"].removeprefix(PET_PREFIX),
    )


def _is_condition_failure(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"
