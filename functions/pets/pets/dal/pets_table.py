"""Pets in the pets table: add, read, replace, soft-delete, and list by status. Each
change writes the event announcing it to the table's outbox in the same transaction."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pets.dal.pet_items import (
    DELETED_STATUS,
    PET_SORT_KEY,
    is_listed_pet,
    listing_partition,
    pet_from_item,
    pet_key,
    pet_partition_key,
    pet_to_item,
)
from pets.errors import PetNotFound, VersionConflict
from pets.models import Pet, PetPage, PetStatus
from pets.settings import PetsSettings
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.dynamodb_transactions import (
    TransactionCancelled,
    transact_write,
    transact_write_if_first_holds,
)
from petstore_shared.events.envelope import Event
from petstore_shared.events.outbox import outbox_put
from petstore_shared.item_timestamps import format_timestamp
from petstore_shared.page_tokens import (
    INDEX_KEY_NAMES,
    InvalidNextToken,
    decode_page_token,
    encode_page_token,
)
from petstore_shared.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

LISTING_INDEX = "byStatus"


class PetsTable:
    def __init__(self, client: DynamoDBClient, table_name: str):
        self._client = client
        self._table_name = table_name

    def add_pet(self, pet: Pet, announcement: Event[Any]) -> None:
        """The new pet and the event announcing it: both or neither."""
        transact_write(
            self._client,
            [
                {
                    "Put": {
                        "TableName": self._table_name,
                        "Item": pet_to_item(pet),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                outbox_put(self._table_name, announcement),
            ],
        )

    def find_pet(self, pet_id: str) -> Pet | None:
        """The pet, or None when it never existed or was deleted."""
        response = self._client.get_item(
            TableName=self._table_name, Key=pet_key(pet_id), ConsistentRead=True
        )
        item = response.get("Item")
        return pet_from_item(item) if is_listed_pet(item) else None

    def replace_pet(self, pet: Pet, expected_version: int, announcement: Event[Any]) -> None:
        """Write `pet` over the stored one, with the event announcing it, if the stored one
        is still at `expected_version`."""
        replace: TransactWriteItemTypeDef = {
            "Put": {
                "TableName": self._table_name,
                "Item": pet_to_item(pet),
                "ConditionExpression": (
                    "attribute_exists(pk) AND #status <> :deleted AND version = :expected"
                ),
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":deleted": {"S": DELETED_STATUS},
                    ":expected": {"N": str(expected_version)},
                },
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        try:
            transact_write(self._client, [replace, outbox_put(self._table_name, announcement)])
        except TransactionCancelled as cancelled:
            if not cancelled.failed_condition(0):
                raise
            if not is_listed_pet(cancelled.old_item(0)):
                raise PetNotFound(pet.id) from cancelled
            raise VersionConflict(pet.id, expected_version) from cancelled

    def mark_pet_deleted(self, deleted: Pet, announcement: Event[Any]) -> bool:
        """Soft delete, with the event announcing it: the item stays for orders and
        reservations that refer to it, but it leaves the listing index and reads as not
        found. `deleted` is the pet as read, at the version the delete gives it; False,
        and nothing written, when the stored pet is no longer at the version before."""
        mark_deleted: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self._table_name,
                "Key": pet_key(deleted.id),
                "UpdateExpression": (
                    "SET #status = :deleted, deletedAt = :now, updatedAt = :now, "
                    "version = :version REMOVE gsi1pk, gsi1sk"
                ),
                "ConditionExpression": (
                    "attribute_exists(pk) AND #status <> :deleted AND version = :read"
                ),
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":deleted": {"S": DELETED_STATUS},
                    ":now": {"S": format_timestamp(deleted.updated_at)},
                    ":version": {"N": str(deleted.version)},
                    ":read": {"N": str(deleted.version - 1)},
                },
            }
        }
        return transact_write_if_first_holds(
            self._client, [mark_deleted, outbox_put(self._table_name, announcement)]
        )

    def list_pets(
        self, status: PetStatus, species: str | None, limit: int, next_token: str | None
    ) -> PetPage:
        """One page of the `byStatus` index, in its order; `next_token` continues a listing
        with the same status and species. An available pet with no stock left is not
        listed: it cannot be bought until it is restocked."""
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
        if status is PetStatus.AVAILABLE:
            query["FilterExpression"] = "stock > :none"
            query["ExpressionAttributeValues"][":none"] = {"N": "0"}
        if next_token is not None:
            query["ExclusiveStartKey"] = _start_key(next_token, status, species)
        items = self._query_until_more_than(limit, query, next_token)
        last_key = _listing_key_of(items[limit - 1]) if len(items) > limit else None
        return PetPage(
            items=[pet_from_item(item) for item in items[:limit]],
            next_token=encode_page_token(last_key) if last_key else None,
        )

    def _query_until_more_than(
        self, limit: int, query: dict[str, Any], next_token: str | None
    ) -> list[Any]:
        """The query's items until there are more than `limit` or none are left: a filter
        can leave a DynamoDB page short of its Limit, or empty."""
        items: list[Any] = []
        while True:
            try:
                response = self._client.query(**query)
            except ClientError as error:
                if error.response["Error"]["Code"] == "ValidationException" and next_token:
                    raise InvalidNextToken() from error
                raise
            items += response.get("Items", [])
            last_key = response.get("LastEvaluatedKey")
            if len(items) > limit or not last_key:
                return items
            query["ExclusiveStartKey"] = last_key


@cache
def pets_table_from_environment() -> PetsTable:
    settings = load_settings(PetsSettings)
    return PetsTable(dynamodb_client(), settings.pets_table_name)


def _listing_key_of(item: Any) -> dict[str, Any]:
    return {name: item[name] for name in INDEX_KEY_NAMES}


def _start_key(next_token: str, status: PetStatus, species: str | None) -> dict[str, Any]:
    """The key a token stands for, if this listing (status and species) could have issued
    it; InvalidNextToken otherwise."""
    key = decode_page_token(
        next_token,
        INDEX_KEY_NAMES,
        pinned={"gsi1pk": listing_partition(status.value), "sk": PET_SORT_KEY},
    )
    sort_key = key["gsi1sk"]["S"]
    species_prefix = f"{species}#" if species is not None else ""
    pet_id = sort_key.rsplit("#", 1)[-1]
    if not sort_key.startswith(species_prefix) or key["pk"]["S"] != pet_partition_key(pet_id):
        raise InvalidNextToken()
    return key
