"""The DynamoDB Streams event source mapping against the emulator: images, ordering,
retries, bisection, partial batch responses, filter criteria, the batching window and
the 6 MB payload cap, and table recreation."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from localcloud.emulator.clients import EmulatorClients
from localcloud.emulator.process import Emulator
from localcloud.emulator.waits import Waits
from localcloud.event_sources.batching import MAX_PAYLOAD_BYTES
from localcloud.event_sources.dynamodb_streams import poller as stream_poller
from localcloud.event_sources.dynamodb_streams.mapping import StreamMapping
from localcloud.event_sources.dynamodb_streams.poller import StreamPoller
from localcloud.event_sources.filtering import parse_patterns
from localcloud.lambda_.invoker import Invoker
from localcloud.lambda_.logs import LogSink
from support.poller_calls import aws_calls, calls_of
from support.runtime_invoker import REGION, runtime_invoker, wait_for

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.integration

HANDLERS = {
    "ShowBatch": "app.show_batch",
    "FailOnPoison": "app.fail_on_poison",
    "FailFlakyOnce": "app.fail_flaky_once",
    "ShowSizes": "app.show_sizes",
}


@pytest.fixture
def dynamodb(emulator: Emulator) -> DynamoDBClient:
    return boto3.client("dynamodb", endpoint_url=emulator.endpoint_url, region_name=REGION)


@pytest.fixture
def invoker(emulator: Emulator, sink: LogSink) -> Iterator[Invoker]:
    yield from runtime_invoker(emulator, sink, "stream_consumer", HANDLERS)


def create_table(dynamodb: DynamoDBClient, name: str) -> str:
    """Creates a table with a NEW_AND_OLD_IMAGES stream; returns the stream's ARN."""
    description = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    return description["LatestStreamArn"]


@pytest.fixture
def table(dynamodb: DynamoDBClient) -> Iterator[tuple[str, str]]:
    """A fresh table: (name, stream ARN)."""
    name = f"t-{uuid.uuid4().hex}"
    stream_arn = create_table(dynamodb, name)
    yield name, stream_arn
    dynamodb.delete_table(TableName=name)


@pytest.fixture
def start_poller(emulator: Emulator, invoker: Invoker) -> Iterator[Callable[..., StreamPoller]]:
    started: list[StreamPoller] = []

    def start(table: tuple[str, str], function: str, **options: Any) -> StreamPoller:
        name, stream_arn = table
        mapping = StreamMapping(
            function=function,
            stream_arn=stream_arn,
            table_name=name,
            starting_position="TRIM_HORIZON",
            **options,
        )
        poller = StreamPoller(
            mapping, invoker.invoke, endpoint_url=emulator.endpoint_url, region=REGION
        )
        poller.start()
        started.append(poller)
        return poller

    yield start
    for poller in started:
        poller.stop()


def put(dynamodb: DynamoDBClient, table: tuple[str, str], item_id: str, **flags: bool) -> None:
    item: dict[str, Any] = {"id": {"S": item_id}}
    item |= {flag: {"BOOL": value} for flag, value in flags.items()}
    dynamodb.put_item(TableName=table[0], Item=item)


def printed(sink: LogSink, function: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in sink.lines(function) if line.startswith("{")]


def batches(sink: LogSink, function: str) -> list[list[str]]:
    return [document["batch"] for document in printed(sink, function)]


def test_insert_and_modify_reach_the_handler_with_new_and_old_images(
    dynamodb: DynamoDBClient,
    sink: LogSink,
    table: tuple[str, str],
    start_poller: Callable[..., StreamPoller],
) -> None:
    start_poller(table, "ShowBatch")

    dynamodb.put_item(TableName=table[0], Item={"id": {"S": "o-1"}, "status": {"S": "PENDING"}})
    dynamodb.update_item(
        TableName=table[0],
        Key={"id": {"S": "o-1"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "CONFIRMED"}},
    )

    def records() -> list[dict[str, Any]]:
        return [record for document in printed(sink, "ShowBatch") for record in document["records"]]

    wait_for(lambda: len(records()) == 2)
    inserted, modified = records()
    assert inserted["eventName"] == "INSERT"
    assert inserted["dynamodb"]["NewImage"]["status"] == {"S": "PENDING"}
    assert "OldImage" not in inserted["dynamodb"]
    assert modified["eventName"] == "MODIFY"
    assert modified["dynamodb"]["OldImage"]["status"] == {"S": "PENDING"}
    assert modified["dynamodb"]["NewImage"]["status"] == {"S": "CONFIRMED"}
    assert modified["dynamodb"]["Keys"] == {"id": {"S": "o-1"}}
    for record in (inserted, modified):
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventVersion"] == "1.1"
        assert record["eventSourceARN"] == table[1]
        assert record["awsRegion"] == REGION
        assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert int(inserted["dynamodb"]["SequenceNumber"]) < int(modified["dynamodb"]["SequenceNumber"])
    # Attribute names and values, as DynamoDB sizes items: keys (id, o-1) = 5, the
    # PENDING image 5 + 13, the CONFIRMED image 5 + 15.
    assert inserted["dynamodb"]["SizeBytes"] == 5 + 18
    assert modified["dynamodb"]["SizeBytes"] == 5 + 20 + 18


def test_a_batch_that_exhausts_its_retries_is_discarded_and_later_records_still_arrive(
    dynamodb: DynamoDBClient,
    sink: LogSink,
    table: tuple[str, str],
    start_poller: Callable[..., StreamPoller],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="localcloud.event_sources")
    put(dynamodb, table, "bad", poison=True)
    put(dynamodb, table, "good")

    start_poller(table, "FailOnPoison", batch_size=1, maximum_retry_attempts=1)

    wait_for(lambda: batches(sink, "FailOnPoison") == [["bad"], ["bad"], ["good"]])
    assert "discarding 1 stream records" in caplog.text


def test_bisecting_a_failed_batch_isolates_the_failing_record(
    dynamodb: DynamoDBClient,
    sink: LogSink,
    table: tuple[str, str],
    start_poller: Callable[..., StreamPoller],
) -> None:
    put(dynamodb, table, "a")
    put(dynamodb, table, "b", poison=True)
    put(dynamodb, table, "c")
    put(dynamodb, table, "d")

    start_poller(table, "FailOnPoison", maximum_retry_attempts=0, bisect_batch_on_error=True)

    expected = [["a", "b", "c", "d"], ["a", "b"], ["a"], ["b"], ["c", "d"]]
    wait_for(lambda: batches(sink, "FailOnPoison") == expected)


def test_a_reported_item_failure_retries_from_that_record_in_order(
    dynamodb: DynamoDBClient,
    sink: LogSink,
    table: tuple[str, str],
    start_poller: Callable[..., StreamPoller],
) -> None:
    put(dynamodb, table, "a")
    put(dynamodb, table, "b", flaky=True)
    put(dynamodb, table, "c")

    start_poller(table, "FailFlakyOnce", report_batch_item_failures=True)

    wait_for(lambda: batches(sink, "FailFlakyOnce") == [["a", "b", "c"], ["b", "c"]])


def test_with_bisect_a_partial_response_naming_the_first_record_retries_the_batch_whole(
    dynamodb: DynamoDBClient,
    sink: LogSink,
    table: tuple[str, str],
    start_poller: Callable[..., StreamPoller],
) -> None:
    # AWS splits the batch at the returned sequence number: the first record's, here
    put(dynamodb, table, "a", flaky=True)
    put(dynamodb, table, "b")
    put(dynamodb, table, "c")

    start_poller(
        table, "FailFlakyOnce", report_batch_item_failures=True, bisect_batch_on_error=True
    )

    wait_for(lambda: len(batches(sink, "FailFlakyOnce")) >= 2)
    assert batches(sink, "FailFlakyOnce") == [["a", "b", "c"], ["a", "b", "c"]]


def test_records_after_a_cancelled_transaction_arrive_reading_on_with_next_shard_iterators(
    dynamodb: DynamoDBClient,
    sink: LogSink,
    table: tuple[str, str],
    start_poller: Callable[..., StreamPoller],
) -> None:
    # moto rolled a cancelled transaction back by swapping the table for a copy, which an
    # iterator kept across reads would not have seen; the emulator's transactions do not.
    start_poller(table, "FailOnPoison")
    put(dynamodb, table, "before")
    wait_for(lambda: batches(sink, "FailOnPoison") == [["before"]])

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table[0], "Item": {"id": {"S": "never"}}}},
                {
                    "ConditionCheck": {
                        "TableName": table[0],
                        "Key": {"id": {"S": "before"}},
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
            ]
        )
    put(dynamodb, table, "after")

    wait_for(lambda: batches(sink, "FailOnPoison") == [["before"], ["after"]])


def test_the_poller_follows_a_recreated_table_to_its_new_stream(
    dynamodb: DynamoDBClient,
    sink: LogSink,
    table: tuple[str, str],
    start_poller: Callable[..., StreamPoller],
) -> None:
    poller = start_poller(table, "FailOnPoison")
    put(dynamodb, table, "before")
    wait_for(lambda: batches(sink, "FailOnPoison") == [["before"]])

    dynamodb.delete_table(TableName=table[0])
    new_stream_arn = create_table(dynamodb, table[0])
    put(dynamodb, table, "after")

    wait_for(lambda: batches(sink, "FailOnPoison") == [["before"], ["after"]])
    assert poller.running
    assert new_stream_arn != table[1]


def test_a_batching_window_delivers_each_record_once_in_order(
    dynamodb: DynamoDBClient,
    sink: LogSink,
    table: tuple[str, str],
    start_poller: Callable[..., StreamPoller],
) -> None:
    # Given a put, an update and a delete of one item, fewer records than BatchSize
    key = {"id": {"S": "o-1"}}
    dynamodb.put_item(TableName=table[0], Item=key | {"status": {"S": "PENDING"}})
    dynamodb.update_item(
        TableName=table[0],
        Key=key,
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "CONFIRMED"}},
    )
    dynamodb.delete_item(TableName=table[0], Key=key)

    # When a mapping with a batching window reads them
    start_poller(table, "ShowBatch", batch_size=10, batching_window_s=1)
    wait_for(lambda: len(printed(sink, "ShowBatch")) >= 1)
    # and a later write shows that nothing in between was delivered again
    put(dynamodb, table, "later")
    wait_for(lambda: len(printed(sink, "ShowBatch")) >= 2)

    # Then the window's batch held each change once, in order
    first, second = (document["records"] for document in printed(sink, "ShowBatch")[:2])
    assert [record["eventName"] for record in first] == ["INSERT", "MODIFY", "REMOVE"]
    numbers = [int(record["dynamodb"]["SequenceNumber"]) for record in first]
    assert numbers == sorted(set(numbers))
    assert [record["dynamodb"]["Keys"]["id"]["S"] for record in second] == ["later"]


def test_records_matching_no_filter_are_passed_over_and_later_ones_still_arrive(
    dynamodb: DynamoDBClient,
    sink: LogSink,
    table: tuple[str, str],
    start_poller: Callable[..., StreamPoller],
) -> None:
    # Given a mapping that wants only items flagged `wanted`
    wanted = {"dynamodb": {"NewImage": {"wanted": {"BOOL": [True]}}}}
    start_poller(
        table,
        "FailOnPoison",
        filters=parse_patterns({"Filters": [{"Pattern": json.dumps(wanted)}]}),
    )

    # When wanted and unwanted items are written, the last one wanted
    put(dynamodb, table, "a")
    put(dynamodb, table, "b", wanted=True)
    put(dynamodb, table, "c", wanted=False)
    put(dynamodb, table, "d", wanted=True)

    # Then only the wanted ones reach the function, in order, once each
    def delivered() -> list[str]:
        return [item for batch in batches(sink, "FailOnPoison") for item in batch]

    wait_for(lambda: "d" in delivered())
    assert delivered() == ["b", "d"]


def test_a_batch_closes_before_six_megabytes_and_the_rest_of_the_shard_follows_once(
    dynamodb: DynamoDBClient,
    sink: LogSink,
    table: tuple[str, str],
    start_poller: Callable[..., StreamPoller],
) -> None:
    # Given twenty items of about 350 KB: their records would make a 7 MB event
    ids = [f"i-{index:02d}" for index in range(20)]
    for item_id in ids:
        dynamodb.put_item(
            TableName=table[0], Item={"id": {"S": item_id}, "blob": {"S": "x" * 350_000}}
        )

    # When a mapping with the default BatchSize (100) reads them
    start_poller(table, "ShowSizes")

    # Then they arrive in order over more than one invocation, each within the quota
    def printed_ids() -> list[str]:
        return [item for batch in batches(sink, "ShowSizes") for item in batch]

    wait_for(lambda: len(printed_ids()) >= len(ids), timeout_s=60)
    assert printed_ids() == ids
    documents = printed(sink, "ShowSizes")
    assert len(documents) > 1
    assert all(document["event_bytes"] <= MAX_PAYLOAD_BYTES for document in documents)


def test_an_idle_poller_waits_for_the_tables_next_record_instead_of_reading_four_times_a_second(
    emulator: Emulator,
    dynamodb: DynamoDBClient,
    sink: LogSink,
    table: tuple[str, str],
    start_poller: Callable[..., StreamPoller],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setattr(stream_poller, "IDLE_WAIT_S", 1.0)
    waits = calls_of(monkeypatch, Waits, "for_stream_changes")
    reads = aws_calls(
        EmulatorClients.for_pollers(emulator.endpoint_url, REGION).dynamodbstreams(), request
    )
    start_poller(table, "FailOnPoison")
    wait_for(lambda: len(waits) >= 1)
    before = reads.count("GetRecords")

    # Three idle waits of a second: one read after each (Lambda reads 4 times a second).
    wait_for(lambda: len(waits) >= 4)
    assert reads.count("GetRecords") - before <= 4
    put(dynamodb, table, "after-idle")

    wait_for(lambda: batches(sink, "FailOnPoison") == [["after-idle"]])
