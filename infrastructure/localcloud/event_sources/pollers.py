"""Event source mappings as Lambda runs them: background threads that read SQS
queues and DynamoDB streams and invoke a function with Lambda's event shapes."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from localcloud.emulator.process import LOCAL_CREDENTIALS
from localcloud.model import InvocationResult, SqsMapping, StreamMapping

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import DeleteMessageBatchRequestEntryTypeDef

Invoke = Callable[[str, dict[str, Any]], InvocationResult]
SqsMessage = dict[str, Any]
"""A message as ReceiveMessage returns it."""
StreamRecord = dict[str, Any]
"""A record as GetRecords returns it."""
Shard = dict[str, Any]
StartingPosition = Literal["TRIM_HORIZON", "LATEST"]
logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 2.0
SQS_WAIT_TIME_S = 1
"""Long-poll length: short enough that `stop()` returns within about a second."""
SQS_MAX_MESSAGES = 10
SQS_DELETE_BATCH = 10
SQS_RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)
STREAM_POLL_INTERVAL_S = 0.05
STREAM_REFRESH_INTERVAL_S = 1.0
"""How often the table's latest stream and the stream's shards are looked up again."""
MAX_BACKOFF_S = 2.0


def sqs_event(messages: Sequence[SqsMessage], queue_arn: str, region: str) -> dict[str, Any]:
    """Lambda's SQS event for messages as ReceiveMessage returns them."""
    return {"Records": [_sqs_record(message, queue_arn, region) for message in messages]}


def _sqs_record(message: SqsMessage, queue_arn: str, region: str) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {key: attributes[key] for key in SQS_RECORD_ATTRIBUTES if key in attributes},
        "messageAttributes": {
            name: _sqs_message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        # SQS gives the digest only for a message with attributes; Lambda writes null.
        "md5OfMessageAttributes": message.get("MD5OfMessageAttributes"),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _sqs_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = _base64(value["BinaryValue"])
    shaped["stringListValues"] = list(value.get("StringListValues", []))
    shaped["binaryListValues"] = [_base64(item) for item in value.get("BinaryListValues", [])]
    shaped["dataType"] = value["DataType"]
    return shaped


def dynamodb_stream_event(
    records: Sequence[StreamRecord], stream_arn: str, region: str
) -> dict[str, Any]:
    """Lambda's DynamoDB Streams event for records as GetRecords returns them."""
    return {"Records": [_stream_record(record, stream_arn, region) for record in records]}


def _stream_record(record: StreamRecord, stream_arn: str, region: str) -> dict[str, Any]:
    change = record["dynamodb"]
    shaped: dict[str, Any] = {}
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        shaped["ApproximateCreationDateTime"] = int(created.timestamp())
    elif created is not None:
        shaped["ApproximateCreationDateTime"] = created
    for key in ("Keys", "NewImage", "OldImage"):
        if key in change:
            shaped[key] = {name: _wire_value(value) for name, value in change[key].items()}
    for key in ("SequenceNumber", "SizeBytes", "StreamViewType"):
        if key in change:
            shaped[key] = change[key]
    event_record = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": shaped,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        event_record["userIdentity"] = record["userIdentity"]
    return event_record


def _wire_value(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute value as DynamoDB's JSON carries it: botocore decodes
    binaries to bytes, the Lambda event has them in base64."""
    kind, inner = next(iter(value.items()))
    if kind == "B":
        return {"B": _base64(inner)}
    if kind == "BS":
        return {"BS": [_base64(item) for item in inner]}
    if kind == "M":
        return {"M": {name: _wire_value(item) for name, item in inner.items()}}
    if kind == "L":
        return {"L": [_wire_value(item) for item in inner]}
    return value


def _base64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.b64encode(raw).decode()


def batch_item_failures(payload: object) -> list[object] | None:
    """The items of a ReportBatchItemFailures response; None when the response is
    invalid, which Lambda counts as the whole batch failing."""
    if payload is None:
        return []
    if not isinstance(payload, dict):
        return None
    items = payload.get("batchItemFailures")
    if items is None:
        return []
    return items if isinstance(items, list) else None


def reported_failures(payload: object, identifiers: Sequence[str]) -> set[str] | None:
    """The item identifiers a ReportBatchItemFailures response lists as failed;
    None when the response is invalid, which Lambda counts as the whole batch failing."""
    items = batch_item_failures(payload)
    if items is None:
        return None
    known = set(identifiers)
    failed = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in known:
            return None
        failed.add(identifier)
    return failed


def _failed_items(
    result: InvocationResult, identifiers: Sequence[str], report_batch_item_failures: bool
) -> set[str]:
    if not result.ok:
        return set(identifiers)
    if not report_batch_item_failures:
        return set()
    failed = reported_failures(result.payload, identifiers)
    return set(identifiers) if failed is None else failed


def invoke_safely(invoke: Invoke, function: str, event: dict[str, Any]) -> InvocationResult:
    """The invocation's result; a failed one when the invoker itself raised."""
    try:
        return invoke(function, event)
    except Exception as error:
        logger.exception("Invoking %s failed before the handler ran", function)
        return InvocationResult(ok=False, error_type=type(error).__name__, error_message=str(error))


_clients: dict[tuple[str, str, str], Any] = {}
_clients_lock = threading.Lock()


def _client(service: str, endpoint_url: str, region: str) -> Any:
    """One client per service and endpoint for every poller: creating a boto3 client
    costs ~0.1 s of CPU, and the pollers are started again on every reset."""
    key = (service, endpoint_url, region)
    with _clients_lock:
        if key not in _clients:
            options = _client_options(endpoint_url, region)
            _clients[key] = boto3.session.Session().client(service, **options)  # type: ignore[call-overload]
        return _clients[key]


def _client_options(endpoint_url: str, region: str) -> dict[str, Any]:
    found = boto3.session.Session().get_credentials() is not None
    return {
        "endpoint_url": endpoint_url,
        "region_name": region,
        "aws_access_key_id": None if found else LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": None if found else LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        # The pollers retry themselves, pacing the retries to keep stop() prompt.
        "config": Config(
            connect_timeout=2,
            read_timeout=30,
            retries={"total_max_attempts": 1},
            max_pool_connections=64,
        ),
    }


class _Outage:
    """Logs the first failure of a run of failures and the recovery, and paces retries."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._failures = 0

    def failed(self, error: Exception) -> float:
        """Seconds to wait before trying again."""
        if self._failures == 0:
            expected = isinstance(error, (ClientError, BotoCoreError))
            logger.warning(
                "%s: %s: %s; retrying until it works",
                self._what,
                type(error).__name__,
                error,
                exc_info=None if expected else error,
            )
        self._failures += 1
        return min(MAX_BACKOFF_S, 0.1 * 2 ** (self._failures - 1))

    def recovered(self) -> None:
        if self._failures:
            logger.warning("%s: working again after %d failures", self._what, self._failures)
            self._failures = 0


class _BackgroundPoller:
    """`threads` copies of `_run`, side by side, until `stop()`."""

    def __init__(self, name: str, threads: int = 1) -> None:
        self.name = name
        self._thread_count = threads
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def start(self) -> None:
        if self.running:
            return
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._run, name=f"{self.name}-{number}", daemon=True)
            for number in range(self._thread_count)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Returns within about STOP_TIMEOUT_S; an invocation in flight finishes
        in the background and its batch is settled."""
        self._stopping.set()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = []

    def _run(self) -> None:
        raise NotImplementedError


class SqsPoller(_BackgroundPoller):
    """Long-polls one queue and invokes the mapping's function with each batch;
    deletes what succeeded and leaves the rest to the queue's visibility timeout
    and redrive policy. As Lambda scales an SQS mapping out, up to the mapping's
    maximum concurrency batches are in flight at once, each from its own poller."""

    def __init__(
        self, mapping: SqsMapping, invoke: Invoke, *, endpoint_url: str, region: str
    ) -> None:
        super().__init__(f"sqs-poller-{mapping.function}", threads=mapping.maximum_concurrency)
        self.mapping = mapping
        self._invoke = invoke
        self._endpoint_url = endpoint_url
        self._region = region

    def _run(self) -> None:
        outage = _Outage(f"SQS poller {self.mapping.function} <- {self.mapping.queue_url}")
        sqs: SQSClient | None = None
        while not self._stopping.is_set():
            try:
                if sqs is None:
                    sqs = _client("sqs", self._endpoint_url, self._region)
                messages = self._receive_batch(sqs)
                outage.recovered()
                if messages:
                    self._process(sqs, messages)
            except Exception as error:
                self._stopping.wait(outage.failed(error))

    def _receive_batch(self, sqs: SQSClient) -> list[SqsMessage]:
        """Up to BatchSize messages, gathered for up to the batching window once
        the first one arrives."""
        batch_size = self.mapping.batch_size
        messages = self._receive(sqs, min(batch_size, SQS_MAX_MESSAGES), SQS_WAIT_TIME_S)
        if not messages or self.mapping.batching_window_s <= 0:
            return messages
        window_ends = time.monotonic() + self.mapping.batching_window_s
        while len(messages) < batch_size and not self._stopping.is_set():
            remaining = window_ends - time.monotonic()
            if remaining <= 0:
                break
            wait_s = min(int(remaining), SQS_WAIT_TIME_S)
            more = self._receive(sqs, min(batch_size - len(messages), SQS_MAX_MESSAGES), wait_s)
            messages = _once_each(messages + more)
            if not more and wait_s == 0:
                self._stopping.wait(min(remaining, STREAM_POLL_INTERVAL_S))
        return messages

    def _receive(self, sqs: SQSClient, max_messages: int, wait_s: int) -> list[SqsMessage]:
        response = sqs.receive_message(
            QueueUrl=self.mapping.queue_url,
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=wait_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return cast(list[SqsMessage], response.get("Messages", []))

    def _process(self, sqs: SQSClient, messages: list[SqsMessage]) -> None:
        event = sqs_event(messages, self.mapping.queue_arn, self._region)
        result = invoke_safely(self._invoke, self.mapping.function, event)
        ids = [message["MessageId"] for message in messages]
        failed = _failed_items(result, ids, self.mapping.report_batch_item_failures)
        if failed:
            logger.info(
                "%s: %d of %d messages failed (%s: %s); the queue will deliver them again",
                self.mapping.function,
                len(failed),
                len(ids),
                result.error_type or "batchItemFailures",
                result.error_message or "reported by the function",
            )
        self._delete(sqs, [message for message in messages if message["MessageId"] not in failed])

    def _delete(self, sqs: SQSClient, messages: list[SqsMessage]) -> None:
        for start in range(0, len(messages), SQS_DELETE_BATCH):
            chunk = messages[start : start + SQS_DELETE_BATCH]
            entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(chunk)
            ]
            response = sqs.delete_message_batch(QueueUrl=self.mapping.queue_url, Entries=entries)
            for failure in response.get("Failed", []):
                logger.warning(
                    "%s: could not delete a processed message: %s",
                    self.mapping.function,
                    failure.get("Message", failure.get("Code")),
                )


def _once_each(messages: list[SqsMessage]) -> list[SqsMessage]:
    """Each message once, where it was first received, as its latest receipt: a
    visibility timeout shorter than the batching window lets the queue hand out a
    message again, and only the newest receipt handle is sure to delete it."""
    # A dict keeps a key where it was first inserted when its value is replaced.
    return list({message["MessageId"]: message for message in messages}.values())


class _Shard:
    def __init__(
        self, shard_id: str, parent_id: str | None, start_position: StartingPosition
    ) -> None:
        self.shard_id = shard_id
        self.parent_id = parent_id
        self.start_position = start_position
        self.iterator: str | None = None
        self.checkpoint: str | None = None
        """Sequence number of the last record handled (delivered or discarded)."""
        self.read_through: str | None = None
        """Sequence number of the last record read: a batch being gathered reads on
        from there, ahead of the checkpoint."""
        self.finished = False

    def rewind(self) -> None:
        """Reads again from the checkpoint, as records read but not handled are lost."""
        self.iterator = None
        self.read_through = self.checkpoint


class StreamPoller(_BackgroundPoller):
    """Reads every shard of a table's stream in order and invokes the mapping's
    function with each batch, retrying a failed batch before moving on."""

    def __init__(
        self, mapping: StreamMapping, invoke: Invoke, *, endpoint_url: str, region: str
    ) -> None:
        super().__init__(f"stream-poller-{mapping.function}")
        self.mapping = mapping
        self._invoke = invoke
        self._endpoint_url = endpoint_url
        self._region = region
        self._stream_arn: str | None = None
        self._shards: dict[str, _Shard] = {}
        self._refreshed_at = 0.0

    def _run(self) -> None:
        what = f"DynamoDB stream poller {self.mapping.function} <- {self.mapping.table_name}"
        outage = _Outage(what)
        clients: tuple[DynamoDBStreamsClient, DynamoDBClient] | None = None
        while not self._stopping.is_set():
            try:
                if clients is None:
                    clients = (
                        _client("dynamodbstreams", self._endpoint_url, self._region),
                        _client("dynamodb", self._endpoint_url, self._region),
                    )
                streams, dynamodb = clients
                if time.monotonic() - self._refreshed_at >= STREAM_REFRESH_INTERVAL_S:
                    self._refresh(streams, dynamodb)
                delivered = self._poll_shards(streams)
                outage.recovered()
            except Exception as error:
                self._lose_iterators()
                self._stopping.wait(outage.failed(error))
                continue
            if not delivered:
                self._stopping.wait(STREAM_POLL_INTERVAL_S)

    def _refresh(self, streams: DynamoDBStreamsClient, dynamodb: DynamoDBClient) -> None:
        """Follows the table to its latest stream (a recreated table has a new
        one) and picks up shards the stream has opened since the last look."""
        latest = self._latest_stream_arn(dynamodb)
        # Shards a known stream opens later, and every shard of a stream that
        # replaced the mapped one, hold only unread records: read them from the start.
        position: StartingPosition = "TRIM_HORIZON"
        if latest != self._stream_arn:
            if self._stream_arn is None and latest == self.mapping.stream_arn:
                position = self.mapping.starting_position
            elif self._stream_arn is not None:
                logger.warning("%s: following the table's new stream", self.mapping.function)
            self._stream_arn = latest
            self._shards = {}
        for shard in self._describe_shards(streams, latest):
            if shard["ShardId"] not in self._shards:
                self._shards[shard["ShardId"]] = _Shard(
                    shard["ShardId"], shard.get("ParentShardId"), position
                )
        self._refreshed_at = time.monotonic()

    def _latest_stream_arn(self, dynamodb: DynamoDBClient) -> str:
        if not self.mapping.table_name:
            return self.mapping.stream_arn
        table = dynamodb.describe_table(TableName=self.mapping.table_name)["Table"]
        latest = table.get("LatestStreamArn")
        if not latest:
            raise LookupError(f"table {self.mapping.table_name} has no stream")
        return str(latest)

    @staticmethod
    def _describe_shards(streams: DynamoDBStreamsClient, stream_arn: str) -> list[Shard]:
        shards: list[Shard] = []
        request: dict[str, Any] = {"StreamArn": stream_arn}
        while True:
            description = streams.describe_stream(**request)["StreamDescription"]
            shards += cast(list[Shard], description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            request["ExclusiveStartShardId"] = last

    def _lose_iterators(self) -> None:
        for shard in self._shards.values():
            shard.rewind()
        self._refreshed_at = 0.0

    def _poll_shards(self, streams: DynamoDBStreamsClient) -> bool:
        """Reads one batch from every shard whose parent is done; True if any had records."""
        delivered = False
        for shard in list(self._shards.values()):
            if self._stopping.is_set():
                break
            if shard.finished or self._parent_unfinished(shard):
                continue
            records = self._gather(streams, shard)
            if not records:
                continue
            delivered = True
            if self._deliver(records):
                shard.checkpoint = records[-1]["dynamodb"]["SequenceNumber"]
            else:
                # Stopped mid-batch: the next start reads again from the checkpoint.
                shard.rewind()
        return delivered

    def _parent_unfinished(self, shard: _Shard) -> bool:
        parent = self._shards.get(shard.parent_id) if shard.parent_id else None
        return parent is not None and not parent.finished

    def _gather(self, streams: DynamoDBStreamsClient, shard: _Shard) -> list[StreamRecord]:
        """Up to BatchSize records, gathered for up to the batching window once
        the first one arrives."""
        batch_size = self.mapping.batch_size
        records = self._read(streams, shard, batch_size)
        if not records or self.mapping.batching_window_s <= 0:
            return records
        window_ends = time.monotonic() + self.mapping.batching_window_s
        while len(records) < batch_size and not shard.finished:
            remaining = window_ends - time.monotonic()
            if remaining <= 0 or self._stopping.is_set():
                break
            more = self._read(streams, shard, batch_size - len(records))
            records += more
            if not more:
                self._stopping.wait(min(remaining, STREAM_POLL_INTERVAL_S))
        return records

    def _read(
        self, streams: DynamoDBStreamsClient, shard: _Shard, limit: int
    ) -> list[StreamRecord]:
        if shard.iterator is None or _positioned(shard):
            # A fresh iterator on every read: moto swaps a table's stream for a copy
            # when a transaction is cancelled, and an iterator kept from before would
            # go on reading the discarded copy. Only LATEST before any record must
            # keep its iterator, or records written between reads would be skipped.
            shard.iterator = self._iterator(streams, shard)
        response = streams.get_records(ShardIterator=shard.iterator, Limit=min(limit, 1000))
        shard.iterator = response.get("NextShardIterator")
        if shard.iterator is None:
            shard.finished = True
        records = cast(list[StreamRecord], response.get("Records", []))
        if records:
            shard.read_through = records[-1]["dynamodb"]["SequenceNumber"]
        return records

    def _iterator(self, streams: DynamoDBStreamsClient, shard: _Shard) -> str:
        assert self._stream_arn is not None
        if shard.read_through is None:
            response = streams.get_shard_iterator(
                StreamArn=self._stream_arn,
                ShardId=shard.shard_id,
                ShardIteratorType=shard.start_position,
            )
        else:
            response = streams.get_shard_iterator(
                StreamArn=self._stream_arn,
                ShardId=shard.shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=shard.read_through,
            )
        return response["ShardIterator"]

    def _deliver(self, records: list[StreamRecord]) -> bool:
        """Invokes until every record succeeded or was discarded, in order;
        False if the poller was stopped first."""
        pending: list[tuple[list[StreamRecord], int]] = [(records, 0)]
        while pending and not self._stopping.is_set():
            batch, retries = pending.pop(0)
            retry = self._failed_tail(batch)
            if not retry:
                continue
            if self.mapping.bisect_batch_on_error and len(retry) == len(batch) > 1:
                # Splitting a batch does not count towards the retry quota.
                half = len(batch) // 2
                pending[:0] = [(batch[:half], retries), (batch[half:], retries)]
                continue
            retries += 1
            limit = self.mapping.maximum_retry_attempts
            if 0 <= limit < retries:
                self._discard(retry)
                continue
            self._stopping.wait(min(MAX_BACKOFF_S, 0.1 * 2 ** (retries - 1)))
            pending.insert(0, (retry, retries))
        return not pending

    def _failed_tail(self, batch: list[StreamRecord]) -> list[StreamRecord]:
        """The records to retry: the whole batch, or everything from the first
        failure the function reported."""
        assert self._stream_arn is not None
        event = dynamodb_stream_event(batch, self._stream_arn, self._region)
        result = invoke_safely(self._invoke, self.mapping.function, event)
        sequence_numbers = [record["dynamodb"]["SequenceNumber"] for record in batch]
        failed = _failed_items(result, sequence_numbers, self.mapping.report_batch_item_failures)
        if not failed:
            return []
        first = min(index for index, number in enumerate(sequence_numbers) if number in failed)
        logger.info(
            "%s: stream batch failed from record %s (%s: %s)",
            self.mapping.function,
            sequence_numbers[first],
            result.error_type or "batchItemFailures",
            result.error_message or "reported by the function",
        )
        return batch[first:]

    def _discard(self, records: list[StreamRecord]) -> None:
        first = records[0]["dynamodb"]["SequenceNumber"]
        last = records[-1]["dynamodb"]["SequenceNumber"]
        logger.error(
            "%s: discarding %d stream records (%s..%s) after %d retries",
            self.mapping.function,
            len(records),
            first,
            last,
            self.mapping.maximum_retry_attempts,
        )


def _positioned(shard: _Shard) -> bool:
    """Whether a new iterator finds the same place: a record read, or the shard's start."""
    return shard.read_through is not None or shard.start_position == "TRIM_HORIZON"
