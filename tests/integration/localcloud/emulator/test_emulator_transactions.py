"""The emulator's TransactWriteItems: all conditions checked, then all writes, or none."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from localcloud.emulator.process import Emulator

pytestmark = pytest.mark.integration


@pytest.fixture
def table(emulator: Emulator) -> tuple[Any, str]:
    dynamodb = boto3.client("dynamodb", endpoint_url=emulator.endpoint_url)
    name = f"transactions-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "stock"}, "count": {"N": "1"}})
    return dynamodb, name


def _decrement_and_record(name: str, order: str) -> list[dict[str, Any]]:
    return [
        {
            "Update": {
                "TableName": name,
                "Key": {"pk": {"S": "stock"}},
                "UpdateExpression": "SET #c = #c - :one",
                "ConditionExpression": "#c >= :one",
                "ExpressionAttributeNames": {"#c": "count"},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {
            "Put": {
                "TableName": name,
                "Item": {"pk": {"S": order}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]


def _stream_records(emulator: Emulator, dynamodb: Any, name: str) -> int:
    streams = boto3.client("dynamodbstreams", endpoint_url=emulator.endpoint_url)
    arn = dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return len(streams.get_records(ShardIterator=iterator)["Records"])


def test_a_transaction_whose_conditions_hold_writes_every_item(
    emulator: Emulator, table: tuple[Any, str]
) -> None:
    dynamodb, name = table

    dynamodb.transact_write_items(TransactItems=_decrement_and_record(name, "order-1"))

    stock = dynamodb.get_item(TableName=name, Key={"pk": {"S": "stock"}})["Item"]
    assert stock["count"] == {"N": "0"}
    assert "Item" in dynamodb.get_item(TableName=name, Key={"pk": {"S": "order-1"}})


def test_a_cancelled_transaction_writes_nothing_and_streams_nothing(
    emulator: Emulator, table: tuple[Any, str]
) -> None:
    dynamodb, name = table
    dynamodb.transact_write_items(TransactItems=_decrement_and_record(name, "order-1"))
    streamed = _stream_records(emulator, dynamodb, name)

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as cancelled:
        dynamodb.transact_write_items(TransactItems=_decrement_and_record(name, "order-2"))

    reasons = [reason["Code"] for reason in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["ConditionalCheckFailed", "None"]
    assert "Item" not in dynamodb.get_item(TableName=name, Key={"pk": {"S": "order-2"}})
    assert _stream_records(emulator, dynamodb, name) == streamed
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "later"}})
    assert _stream_records(emulator, dynamodb, name) == streamed + 1


def test_a_retry_with_the_same_client_token_succeeds_without_writing_again(
    table: tuple[Any, str],
) -> None:
    dynamodb, name = table
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "stock"}, "count": {"N": "5"}})
    token = uuid.uuid4().hex

    for _ in range(2):
        dynamodb.transact_write_items(
            TransactItems=_decrement_and_record(name, "order-1"), ClientRequestToken=token
        )

    stock = dynamodb.get_item(TableName=name, Key={"pk": {"S": "stock"}})["Item"]
    assert stock["count"] == {"N": "4"}


def test_a_client_token_used_again_with_other_items_is_refused(table: tuple[Any, str]) -> None:
    dynamodb, name = table
    token = uuid.uuid4().hex
    dynamodb.transact_write_items(
        TransactItems=_decrement_and_record(name, "order-1"), ClientRequestToken=token
    )

    with pytest.raises(dynamodb.exceptions.IdempotentParameterMismatchException):
        dynamodb.transact_write_items(
            TransactItems=_decrement_and_record(name, "order-2"), ClientRequestToken=token
        )


def test_a_cancelled_transaction_can_be_retried_with_its_token(table: tuple[Any, str]) -> None:
    dynamodb, name = table
    token = uuid.uuid4().hex
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "stock"}, "count": {"N": "0"}})
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=_decrement_and_record(name, "order-1"), ClientRequestToken=token
        )
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "stock"}, "count": {"N": "1"}})

    dynamodb.transact_write_items(
        TransactItems=_decrement_and_record(name, "order-1"), ClientRequestToken=token
    )

    stock = dynamodb.get_item(TableName=name, Key={"pk": {"S": "stock"}})["Item"]
    assert stock["count"] == {"N": "0"}
