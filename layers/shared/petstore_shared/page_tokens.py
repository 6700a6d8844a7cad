"""Opaque `nextToken`s for listings over a DynamoDB query: base64url of the key where
the previous page ended (string attributes only).

Decoding refuses anything this listing could not have issued (other attribute names, or
a partition other than the caller's), so a token can never open someone else's data.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from petstore_shared.domain_errors import ValidationError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

MAX_TOKEN_CHARS = 2048
INDEX_KEY_NAMES = ("pk", "sk", "gsi1pk", "gsi1sk")
"""What a LastEvaluatedKey of an index query holds: the table's key and the index's."""


class InvalidNextToken(ValidationError):
    default_code = "InvalidNextToken"

    def __init__(self) -> None:
        super().__init__(
            "nextToken is not a token this listing issued; start again without it.",
            field="nextToken",
        )


def encode_page_token(last_key: Mapping[str, Any]) -> str:
    document = {name: value["S"] for name, value in last_key.items()}
    raw = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(
    token: str, key_names: Collection[str], pinned: Mapping[str, str]
) -> dict[str, Any]:
    """The start key a token stands for; `pinned` values (the listing's partition) must
    be exactly those given."""
    document = _decode_document(token)
    if set(document) != set(key_names) or any(
        document.get(name) != value for name, value in pinned.items()
    ):
        raise InvalidNextToken()
    return {name: {"S": value} for name, value in document.items()}


def _decode_document(token: str) -> dict[str, str]:
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidNextToken()
    try:
        document = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as error:
        raise InvalidNextToken() from error
    if not isinstance(document, dict) or not all(
        isinstance(value, str) and value for value in document.values()
    ):
        raise InvalidNextToken()
    return document


def query_page(
    client: DynamoDBClient,
    query: dict[str, Any],
    limit: int,
    next_token: str | None,
    pinned: Mapping[str, str],
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a DynamoDB query over an index with keys pk, sk, gsi1pk and gsi1sk,
    and the token of the next page (None on the last). `pinned` are the key values every
    item of the listing shares; a token with others is refused."""
    request = {**query, "Limit": limit + 1}  # one more than asked tells whether more follow
    if next_token:
        request["ExclusiveStartKey"] = decode_page_token(next_token, INDEX_KEY_NAMES, pinned)
    items: list[dict[str, Any]] = list(client.query(**request).get("Items", []))
    if len(items) <= limit:
        return items, None
    last = items[limit - 1]
    return items[:limit], encode_page_token({name: last[name] for name in INDEX_KEY_NAMES})


def query_newest_first(
    client: DynamoDBClient,
    *,
    table_name: str,
    index_name: str,
    partition: str,
    sort_key: str,
    limit: int,
    next_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the items with sort key `sort_key` under `partition` of an index keyed
    gsi1pk and gsi1sk, the newest (highest gsi1sk) first, and the next page's token."""
    return query_page(
        client,
        {
            "TableName": table_name,
            "IndexName": index_name,
            "KeyConditionExpression": "gsi1pk = :partition",
            "ExpressionAttributeValues": {":partition": {"S": partition}},
            "ScanIndexForward": False,
        },
        limit,
        next_token,
        pinned={"gsi1pk": partition, "sk": sort_key},
    )
