"""The emulator's DynamoDB streams keep a record for 24 hours, as AWS's do, then trim it:
a shard's TRIM_HORIZON moves to its oldest record kept, an iterator at a trimmed record
fails with TrimmedDataAccessException, and the local stream poller reads on from the
oldest record kept, with a warning, as Lambda's event source mapping loses what the
stream trimmed unread.

moto runs in process, its record times and the trimming clock set by the tests; the last
test serves it over HTTP (moto's threaded server) to a stream poller."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import moto.dynamodb.models.table as moto_tables
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models.table import StreamRecord
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, dynamodbstreams_backends
from moto.server import ThreadedMotoServer

from localcloud.emulator.patches import shard_iterators, stream_records
from localcloud.emulator.process import free_port
from localcloud.event_sources.dynamodb_streams.mapping import StreamMapping
from localcloud.event_sources.dynamodb_streams.poller import StreamPoller
from localcloud.model import InvocationResult
from support.runtime_invoker import wait_for
from support.stream_tables import new_stream_table

pytestmark = pytest.mark.integration

REGION = "us-east-1"
START = datetime(2026, 12, 1, 12, 0, 0)
"""When the tests' first record is made (naive UTC, as moto makes them)."""


class Clocks:
    """The time moto stamps records with, and the time the trim runs at."""

    def __init__(self) -> None:
        self.now = START

    def made(self) -> datetime:
        return self.now

    def epoch_s(self) -> float:
        return (self.now - datetime(1970, 1, 1)).total_seconds()


@pytest.fixture
def clocks() -> Iterator[Clocks]:
    clocks = Clocks()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StreamRecord, "__init__", stream_records.init)
        patch.setattr(StreamRecord, "to_json", stream_records.to_json)
        for owner, name, replacement in shard_iterators.PATCHES:
            patch.setattr(owner, name, replacement)
        patch.setattr(moto_tables, "utcnow", clocks.made)
        patch.setattr(stream_records, "clock", clocks.epoch_s)
        yield clocks


@pytest.fixture
def streams(clocks: Clocks) -> Iterator[DynamoDBStreamsBackend]:
    with mock_aws():
        yield dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION]


def new_table(dynamodb: Any) -> tuple[str, str]:
    """(name, stream ARN) of a new table with a NEW_IMAGE stream."""
    return new_stream_table(dynamodb, "retention")


def put_at(dynamodb: Any, clocks: Clocks, table: str, key: str, hours: float) -> None:
    """Writes item `key` `hours` after START."""
    clocks.now = START + timedelta(hours=hours)
    dynamodb.put_item(TableName=table, Item={"pk": {"S": key}})


def shard_of(streams: DynamoDBStreamsBackend, stream_arn: str) -> dict[str, Any]:
    shard: dict[str, Any] = streams.describe_stream(stream_arn)["Shards"][0]
    return shard


def keys_from(streams: DynamoDBStreamsBackend, iterator_arn: str) -> list[str]:
    answer = streams.get_records(iterator_arn, 100)
    return [record["dynamodb"]["Keys"]["pk"]["S"] for record in answer["Records"]]


def test_records_older_than_24_hours_are_trimmed_and_trim_horizon_moves_past_them(
    clocks: Clocks, streams: DynamoDBStreamsBackend
) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table, stream_arn = new_table(dynamodb)
    for key, hours in (("first", 0), ("second", 1), ("third", 23)):
        put_at(dynamodb, clocks, table, key, hours)
    shard = shard_of(streams, stream_arn)
    sequence_numbers = [
        record.to_json()["dynamodb"]["SequenceNumber"]
        for record in dynamodb_table(table).stream_shard.items
    ]

    clocks.now = START + timedelta(hours=24, minutes=30)
    assert stream_records.trim_expired() == 1
    clocks.now = START + timedelta(hours=25, minutes=30)
    assert stream_records.trim_expired() == 1
    assert stream_records.trim_expired() == 0

    horizon = streams.get_shard_iterator(stream_arn, shard["ShardId"], "TRIM_HORIZON").arn
    assert keys_from(streams, horizon) == ["third"]
    kept = shard_of(streams, stream_arn)["SequenceNumberRange"]["StartingSequenceNumber"]
    assert kept == sequence_numbers[2]


def dynamodb_table(name: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(name)


def test_an_iterator_at_a_trimmed_record_fails_with_trimmed_data_access(
    clocks: Clocks, streams: DynamoDBStreamsBackend
) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table, stream_arn = new_table(dynamodb)
    put_at(dynamodb, clocks, table, "old", 0)
    put_at(dynamodb, clocks, table, "new", 20)
    shard_id = shard_of(streams, stream_arn)["ShardId"]
    issued_before = streams.get_shard_iterator(stream_arn, shard_id, "TRIM_HORIZON").arn
    old_sequence_number = int(
        shard_of(streams, stream_arn)["SequenceNumberRange"]["StartingSequenceNumber"]
    )

    clocks.now = START + timedelta(hours=24, seconds=1)
    stream_records.trim_expired()

    with pytest.raises(shard_iterators.TrimmedDataAccess) as read:
        streams.get_records(issued_before, 100)
    with pytest.raises(shard_iterators.TrimmedDataAccess) as asked:
        streams.get_shard_iterator(
            stream_arn,
            shard_id,
            "AT_SEQUENCE_NUMBER",
            old_sequence_number,  # type: ignore[arg-type]
        )
    assert read.value.error_type.endswith("#TrimmedDataAccessException")
    assert asked.value.error_type.endswith("#TrimmedDataAccessException")
    after_old = streams.get_shard_iterator(
        stream_arn,
        shard_id,
        "AFTER_SEQUENCE_NUMBER",
        old_sequence_number,  # type: ignore[arg-type]
    ).arn
    assert keys_from(streams, after_old) == ["new"]


@pytest.fixture
def moto_server(clocks: Clocks) -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_the_stream_poller_reads_on_from_the_oldest_record_kept_after_a_trim(
    clocks: Clocks, moto_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=moto_server, region_name=REGION)
    table, stream_arn = new_table(dynamodb)
    for key, hours in (("first", 0), ("trimmed unread", 0.5), ("kept", 23)):
        put_at(dynamodb, clocks, table, key, hours)
    delivered: list[str] = []
    first_delivered = threading.Event()

    def invoke(_function: str, event: dict[str, Any]) -> InvocationResult:
        delivered.extend(record["dynamodb"]["Keys"]["pk"]["S"] for record in event["Records"])
        if not first_delivered.is_set():
            # While the first batch is handled, a day passes and the stream trims.
            clocks.now = START + timedelta(hours=24, minutes=45)
            stream_records.trim_expired()
            first_delivered.set()
        return InvocationResult(ok=True, payload=None)

    mapping = StreamMapping(
        function="Consumer",
        stream_arn=stream_arn,
        table_name=table,
        starting_position="TRIM_HORIZON",
        batch_size=1,
    )
    poller = StreamPoller(mapping, invoke, endpoint_url=moto_server, region=REGION)
    with caplog.at_level(logging.WARNING):
        poller.start()
        try:
            wait_for(lambda: len(delivered) >= 2, timeout_s=20)
        finally:
            poller.stop()

    assert delivered == ["first", "kept"]
    assert any("trimmed (older than 24 hours)" in line for line in caplog.messages)
