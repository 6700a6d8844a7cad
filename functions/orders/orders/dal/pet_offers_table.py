"""The pets the orders service sells, in the orders table: read one, and keep each up to
date from the pets service's events."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from orders.dal.pet_offer_items import offer_from_item, offer_key, offer_to_item
from orders.models import PetOffer
from orders.settings import OrdersSettings
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class PetOffersTable:
    def __init__(self, client: DynamoDBClient, table_name: str):
        self._client = client
        self._table_name = table_name

    def find_offer(self, pet_id: str) -> PetOffer | None:
        response = self._client.get_item(
            TableName=self._table_name, Key=offer_key(pet_id), ConsistentRead=True
        )
        item = response.get("Item")
        return offer_from_item(item) if item else None

    def keep_if_newer(self, offer: PetOffer) -> bool:
        """Store the offer unless the stored one is at its pet version or a later one;
        False, and nothing written, then. Events delivered again or out of order thus
        change nothing."""
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=offer_to_item(offer),
                ConditionExpression="attribute_not_exists(pk) OR petVersion < :version",
                ExpressionAttributeValues={":version": {"N": str(offer.pet_version)}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True


@cache
def pet_offers_table_from_environment() -> PetOffersTable:
    return PetOffersTable(dynamodb_client(), load_settings(OrdersSettings).orders_table_name)
