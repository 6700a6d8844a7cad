"""A DynamoDB Streams event source mapping as Lambda runs it: reads every shard of the
table's stream in order and invokes the function with each batch, retrying a failed
batch before moving on (see `ordered_retry`); records it gives up on are reported to the
on-failure destination, if the mapping has one."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from localcloud.emulator.clients import EmulatorClients
from localcloud.emulator.waits import Waits
from localcloud.event_sources.base import Invoke, Outage, Poller, invoke_safely
from localcloud.event_sources.batch_failures import failed_items
from localcloud.event_sources.batching import BatchPolicy, gather
from localcloud.event_sources.destinations import send_to_destination
from localcloud.event_sources.dynamodb_streams.events import (
    StreamRecord,
    dynamodb_stream_event,
    stream_record,
)
from localcloud.event_sources.dynamodb_streams.invocation_record import (
    created_at,
    invocation_record,
)
from localcloud.event_sources.dynamodb_streams.mapping import StreamMapping
from localcloud.event_sources.filtering import matches_any
from localcloud.event_sources.ordered_retry import (
    Attempt,
    GivenUp,
    RetryPolicy,
    attempt_from,
    deliver_in_order,
)
from localcloud.event_sources.properties import StartingPosition

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_dynamodbstreams.type_defs import GetRecordsOutputTypeDef

logger = logging.getLogger(__name__)
Shard = dict[str, Any]

POLL_INTERVAL_S = 0.25
"""Between reads of a shard that had nothing: Lambda reads each shard 4 times a second.
At the local cloud's own emulator an idle poller waits for the table's next record
instead (`localcloud.emulator.waits`), which costs nothing while nothing is written."""
REFRESH_INTERVAL_S = 5.0
"""How often the table's latest stream and the stream's shards are looked up again (a
table's shard rolls over every few hours; a recreated table is followed within this)."""
IDLE_WAIT_S = REFRESH_INTERVAL_S
MAX_RECORDS_PER_READ = 1000
"""The most one GetRecords returns."""


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

    def rewind(self, to: str | None = None) -> None:
        """Reads again after `to` (default: the checkpoint): records read but not handled
        are read again."""
        self.iterator = None
        self.read_through = to if to is not None else self.checkpoint
        self.finished = False

    def skip_trimmed(self) -> None:
        """Reads on from the oldest record the stream keeps."""
        self.start_position = "TRIM_HORIZON"
        self.checkpoint = self.read_through = self.iterator = None

    def is_finished(self) -> bool:
        return self.finished


class StreamPoller(Poller):
    def __init__(
        self, mapping: StreamMapping, invoke: Invoke, *, endpoint_url: str, region: str
    ) -> None:
        super().__init__(mapping, f"stream-poller-{mapping.function}")
        self.mapping: StreamMapping = mapping
        self._invoke = invoke
        self._clients = EmulatorClients.for_pollers(endpoint_url, region)
        self._region = region
        self._batch_policy = BatchPolicy(mapping.batch_size, mapping.batching_window_s)
        self._retry_policy = RetryPolicy(
            retry_limit=mapping.maximum_retry_attempts,
            bisect_on_error=mapping.bisect_batch_on_error,
            record_age_limit_s=mapping.maximum_record_age_s,
        )
        self._stream_arn: str | None = None
        self._shards: dict[str, _Shard] = {}
        self._refreshed_at = 0.0
        self._waits = Waits(endpoint_url)

    def _loops(self) -> list[Callable[[], None]]:
        return [self._run]

    def _run(self) -> None:
        outage = Outage(
            f"DynamoDB stream poller {self.mapping.function} <- {self.mapping.table_name}"
        )
        clients = self._clients
        changes: int | None = None
        while not self.stopping.is_set():
            try:
                streams = clients.dynamodbstreams()
                if time.monotonic() - self._refreshed_at >= REFRESH_INTERVAL_S:
                    self._refresh(streams, clients.dynamodb())
                delivered = self._poll_shards(streams)
                outage.recovered()
                if not delivered:
                    changes = self._wait_for_records(changes)
            except Exception as error:
                if self.stopping.is_set():
                    return  # the emulator may stop before a wait it held ends: nothing failed
                self._lose_iterators()
                changes = None
                self.stopping.wait(outage.failed(error))

    def _wait_for_records(self, since: int | None) -> int | None:
        """Returns when the table's streams may have a record not yet read (their count of
        records is no longer `since`), or after a while; the count seen, if known."""
        if self._stream_arn is not None and self._waits.available:
            with self.idle():
                changes = self._waits.for_stream_changes(self._stream_arn, since, IDLE_WAIT_S)
            if changes is not None:
                return changes
        self.stopping.wait(POLL_INTERVAL_S)
        return None

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
            if self.stopping.is_set():
                break
            if shard.finished or self._parent_unfinished(shard):
                continue
            batch = gather(
                partial(self._read, streams, shard),
                self._batch_policy,
                self.stopping,
                first_wait_s=0.0,
                size_of=self._size_of,
                done=shard.is_finished,
            )
            if batch.overflow:
                shard.rewind(to=batch.records[-1]["dynamodb"]["SequenceNumber"])
            if not batch.records:
                continue
            delivered = True
            if self._deliver(shard, batch.records):
                shard.checkpoint = batch.records[-1]["dynamodb"]["SequenceNumber"]
            else:
                # Stopped mid-batch: the next start reads again from the checkpoint.
                shard.rewind()
        return delivered

    def _parent_unfinished(self, shard: _Shard) -> bool:
        parent = self._shards.get(shard.parent_id) if shard.parent_id else None
        return parent is not None and not parent.finished

    def _read(
        self, streams: DynamoDBStreamsClient, shard: _Shard, limit: int, _wait_s: float = 0.0
    ) -> list[StreamRecord]:
        """Up to `limit` records after the shard's last read; a stream read does not wait.
        Each read goes on with the NextShardIterator the last one handed back, as Lambda
        reads a shard; an iterator that expired meanwhile (a long retry) is taken afresh.
        Records the stream trimmed unread (older than 24 hours) are lost, as on AWS: the
        read goes on from the oldest record kept."""
        try:
            response = self._get_records(streams, shard, limit)
        except streams.exceptions.ExpiredIteratorException:
            shard.iterator = None
            response = self._get_records(streams, shard, limit)
        except streams.exceptions.TrimmedDataAccessException:
            logger.warning(
                "%s: records of shard %s were trimmed (older than 24 hours) before they "
                "were read; reading on from the oldest record kept",
                self.mapping.function,
                shard.shard_id,
            )
            shard.skip_trimmed()
            response = self._get_records(streams, shard, limit)
        shard.iterator = response.get("NextShardIterator")
        if shard.iterator is None:
            shard.finished = True
        records = cast(list[StreamRecord], response.get("Records", []))
        if records:
            shard.read_through = records[-1]["dynamodb"]["SequenceNumber"]
        return records

    def _get_records(
        self, streams: DynamoDBStreamsClient, shard: _Shard, limit: int
    ) -> GetRecordsOutputTypeDef:
        if shard.iterator is None:
            shard.iterator = self._iterator(streams, shard)
        return streams.get_records(
            ShardIterator=shard.iterator, Limit=min(limit, MAX_RECORDS_PER_READ)
        )

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

    def _size_of(self, record: StreamRecord) -> int:
        assert self._stream_arn is not None
        return len(json.dumps(stream_record(record, self._stream_arn, self._region)))

    def _deliver(self, shard: _Shard, records: list[StreamRecord]) -> bool:
        """Invokes until every record succeeded, was filtered out or was given up on, in
        order; False if the poller was stopped first."""
        return deliver_in_order(
            [record for record in records if self._passes_filters(record)],
            self._attempt,
            self._retry_policy,
            self.stopping,
            give_up=partial(self._give_up, shard.shard_id),
            retrying=self._retrying,
            age_s=_age_s,
        )

    def _passes_filters(self, record: StreamRecord) -> bool:
        if not self.mapping.filters:
            return True
        assert self._stream_arn is not None
        shaped = stream_record(record, self._stream_arn, self._region)
        return matches_any(self.mapping.filters, shaped)

    def _attempt(self, batch: list[StreamRecord]) -> Attempt[StreamRecord]:
        assert self._stream_arn is not None
        event = dynamodb_stream_event(batch, self._stream_arn, self._region)
        result = invoke_safely(self._invoke, self.mapping.function, event)
        numbers = [record["dynamodb"]["SequenceNumber"] for record in batch]
        failed = failed_items(result, numbers, self.mapping.report_batch_item_failures)
        return attempt_from(
            result, batch, {index for index, number in enumerate(numbers) if number in failed}
        )

    def _retrying(self, attempt: Attempt[StreamRecord], retries: int) -> None:
        logger.warning(
            "%s: stream batch failed from record %s (%s: %s); retry %d",
            self.mapping.function,
            attempt.retry[0]["dynamodb"]["SequenceNumber"],
            attempt.result.error_type or "batchItemFailures",
            attempt.result.error_message or "reported by the function",
            retries,
        )

    def _give_up(self, shard_id: str, given_up: GivenUp[StreamRecord]) -> None:
        """Reports the records to the on-failure destination (raising if it does not take
        them: the poller then reads them again), or logs that they are discarded."""
        records = given_up.records
        why = self._why(given_up)
        destination = self.mapping.on_failure_destination
        if destination is None:
            logger.error(
                "%s: discarding %d stream records (%s..%s): %s",
                self.mapping.function,
                len(records),
                records[0]["dynamodb"]["SequenceNumber"],
                records[-1]["dynamodb"]["SequenceNumber"],
                why,
            )
            return
        assert self._stream_arn is not None
        record = invocation_record(
            given_up,
            function_arn=self.mapping.function_arn,
            shard_id=shard_id,
            stream_arn=self._stream_arn,
            now=datetime.now(UTC),
        )
        send_to_destination(self._clients, destination, record)
        logger.warning(
            "%s: %d stream records (%s..%s) sent to %s: %s",
            self.mapping.function,
            len(records),
            records[0]["dynamodb"]["SequenceNumber"],
            records[-1]["dynamodb"]["SequenceNumber"],
            destination,
            why,
        )

    def _why(self, given_up: GivenUp[StreamRecord]) -> str:
        if given_up.condition == "RecordAgeExceeded":
            return f"older than {self.mapping.maximum_record_age_s} s"
        assert given_up.last is not None
        result = given_up.last.result
        return (
            f"after {self.mapping.maximum_retry_attempts} retries "
            f"({result.error_type or 'batchItemFailures'}: "
            f"{result.error_message or 'reported by the function'})"
        )


def _age_s(record: StreamRecord) -> float:
    return time.time() - created_at(record).timestamp()
