"""The emulator's DynamoDB Streams shard iterators expire 15 minutes after they were
issued, as on AWS, and the expired ones are forgotten: idle polling keeps a bounded
number of them.

moto runs in process with a clock the tests move, its streams backend called directly
(moto's in-process mock sends DynamoDB Streams requests to DynamoDB); the last test goes
through the emulator server."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, dynamodbstreams_backends

from localcloud.emulator.patches import shard_iterators
from localcloud.emulator.process import Emulator
from support.stream_tables import new_stream_table

pytestmark = pytest.mark.integration

REGION = "us-east-1"
POLLS_PER_MINUTE = 20
"""An idle poller's reads (a real one reads up to 240 a minute; fewer keep the test short)."""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    clock = Clock()
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        for owner, name, replacement in shard_iterators.PATCHES:
            patch.setattr(owner, name, replacement)
        patch.setattr(shard_iterators, "clock", clock)
        yield clock


@pytest.fixture
def streams(clock: Clock) -> DynamoDBStreamsBackend:
    return dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION]


def table_with_a_record(dynamodb: Any) -> tuple[str, str]:
    """(table name, stream ARN) of a new table whose stream holds one record."""
    name, stream_arn = new_stream_table(dynamodb, "iterators")
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    return name, stream_arn


def iterator(streams: DynamoDBStreamsBackend, stream_arn: str, kind: str) -> str:
    shard_id = streams.describe_stream(stream_arn)["Shards"][0]["ShardId"]
    return streams.get_shard_iterator(stream_arn, shard_id, kind).arn


def keys_read(answer: dict[str, Any]) -> list[str]:
    return [record["dynamodb"]["Keys"]["pk"]["S"] for record in answer["Records"]]


def test_idle_polling_keeps_fifteen_minutes_of_iterators_at_most(
    clock: Clock, streams: DynamoDBStreamsBackend
) -> None:
    # Given a poller reading an idle shard with a fresh iterator each time
    _, stream_arn = table_with_a_record(boto3.client("dynamodb", region_name=REGION))
    stored = []
    # When it polls for half an hour
    for _minute in range(30):
        for _poll in range(POLLS_PER_MINUTE):
            streams.get_records(iterator(streams, stream_arn, "LATEST"), 100)
            clock.now += 60 / POLLS_PER_MINUTE
        stored.append(len(streams.shard_iterators))
    # Then the emulator holds the last 15 minutes' iterators (each poll: one asked for and
    # one handed back as NextShardIterator), the same number from the 15th minute on
    assert max(stored) == 15 * POLLS_PER_MINUTE * 2
    assert stored[14:] == [stored[14]] * 16


def test_a_read_with_an_iterator_issued_15_minutes_ago_is_refused_as_expired(
    clock: Clock, streams: DynamoDBStreamsBackend
) -> None:
    _, stream_arn = table_with_a_record(boto3.client("dynamodb", region_name=REGION))
    issued = iterator(streams, stream_arn, "TRIM_HORIZON")
    clock.now += 14 * 60
    assert keys_read(streams.get_records(issued, 100)) == ["a"]

    clock.now += 60
    with pytest.raises(shard_iterators.ExpiredIterator) as refused:
        streams.get_records(issued, 100)

    assert refused.value.error_type.endswith("#ExpiredIteratorException")
    assert len(streams.shard_iterators) == 1, "only the last read's NextShardIterator is left"


def test_next_shard_iterator_reads_on_until_it_expires(
    clock: Clock, streams: DynamoDBStreamsBackend
) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table, stream_arn = table_with_a_record(dynamodb)
    first = streams.get_records(iterator(streams, stream_arn, "TRIM_HORIZON"), 100)
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "b"}})
    clock.now += 10 * 60

    assert keys_read(streams.get_records(first["NextShardIterator"], 100)) == ["b"]

    clock.now += 5 * 60
    with pytest.raises(shard_iterators.ExpiredIterator):
        streams.get_records(first["NextShardIterator"], 100)


def test_the_emulator_answers_expired_and_unknown_iterators_as_dynamodb_streams_does(
    emulator: Emulator,
) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=emulator.endpoint_url)
    streams = boto3.client("dynamodbstreams", endpoint_url=emulator.endpoint_url)
    _, stream_arn = table_with_a_record(dynamodb)
    shard_id = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    issued = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard_id["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert len(streams.get_records(ShardIterator=issued)["Records"]) == 1
    prefix = issued.rsplit("|", 1)[0]
    long_ago = shard_iterators.ISSUED.pack(-1e9) + bytes(shard_iterators.ID_RANDOM_BYTES)

    with pytest.raises(ClientError) as expired:
        streams.get_records(ShardIterator=f"{prefix}|{base64.b64encode(long_ago).decode()}")
    with pytest.raises(ClientError) as unknown:
        streams.get_records(ShardIterator=f"{prefix}|bm8=")

    assert expired.value.response["Error"]["Code"] == "ExpiredIteratorException"
    assert unknown.value.response["Error"]["Code"] == "ValidationException"
