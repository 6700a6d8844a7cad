"""Kafka event source mappings as Lambda runs them: the records of a topic, handed to the
function in Lambda's Amazon MSK (or self-managed Kafka) event shape.

Each partition of the mapping's topic has its own reader thread, so a partition's
records reach the function one batch at a time, in order, while partitions proceed side
by side (Lambda's one concurrent invocation per partition). A reader commits the
mapping's consumer group offset only once the function succeeded with the batch; a
failed batch is retried (split in two first, when BisectBatchOnFunctionError is set;
from the partition's first failed record, with ReportBatchItemFailures), and once its
retries are spent the records that still fail are written to the on-failure Kafka topic
with the failure in their headers, then committed past. Nothing is lost: a record is
either handled, or in the on-failure topic, or read again after a restart.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud.event_sources.filtering import filterable, matches_any
from localcloud.event_sources.kafka.mapping import KafkaMapping
from localcloud.event_sources.pollers import batch_item_failures, invoke_safely
from localcloud.model import InvocationResult

Invoke = Callable[[str, dict[str, Any]], InvocationResult]
logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 2.0
POLL_TIMEOUT_S = 0.2
"""How long a reader waits for a first record: `stop()` is honoured within about that."""
MAX_BACKOFF_S = 2.0
"""Between attempts to reach a broker that failed."""
RETRY_BACKOFF_S = 1.0
MAX_RETRY_BACKOFF_S = 8.0
"""Between retries of a failed batch: 1, 2, 4, 8 s... A consumer that fails because
another has not caught up yet (a transaction conflict, a store that is slow under load)
gets the seconds an SQS visibility timeout would give it before its retries run out."""
TIMESTAMP_TYPES = {0: "NO_TIMESTAMP_TYPE", 1: "CREATE_TIME", 2: "LOG_APPEND_TIME"}
# The local broker answers a fetch when its wait runs out, not when a record arrives:
# a record waits about a quarter of fetch.wait.max.ms (12 ms at 50 ms, measured here),
# and an idle reader costs a fetch every 50 ms (21 of them ~14% of a core).
CONSUMER_SETTINGS = {
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 1000,
    "fetch.wait.max.ms": 50,
    "fetch.error.backoff.ms": 100,
}
FAILURE_HEADER_PREFIX = "lambda-failure-"
"""Headers the local cloud adds to a record it writes to an on-failure topic."""


@dataclass(frozen=True)
class KafkaRecord:
    """A record as a consumer read it."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    timestamp_type: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()

    @classmethod
    def from_message(cls, message: Any) -> KafkaRecord:
        kind, timestamp = message.timestamp()
        return cls(
            topic=message.topic(),
            partition=message.partition(),
            offset=message.offset(),
            timestamp_ms=timestamp,
            timestamp_type=TIMESTAMP_TYPES.get(kind, "NO_TIMESTAMP_TYPE"),
            key=message.key(),
            value=message.value(),
            headers=tuple(message.headers() or ()),
        )

    @property
    def partition_key(self) -> str:
        """`topic-partition`, as Lambda groups records and names them in batchItemFailures."""
        return f"{self.topic}-{self.partition}"


def msk_event(
    records: Sequence[KafkaRecord], mapping: KafkaMapping, bootstrap_servers: str
) -> dict[str, Any]:
    """Lambda's event for Kafka records: grouped by topic-partition, key and value in
    base64, header values as lists of bytes."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(record.partition_key, []).append(_event_record(record))
    event: dict[str, Any] = {"eventSource": mapping.event_source}
    if mapping.event_source == "aws:kafka":
        event["eventSourceArn"] = mapping.event_source_arn
    event["bootstrapServers"] = bootstrap_servers
    event["records"] = grouped
    return event


def _event_record(record: KafkaRecord) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp_ms,
        "timestampType": record.timestamp_type,
    }
    if record.key is not None:
        shaped["key"] = base64.b64encode(record.key).decode()
    if record.value is not None:
        shaped["value"] = base64.b64encode(record.value).decode()
    shaped["headers"] = [{name: list(value or b"")} for name, value in record.headers]
    return shaped


def failed_offsets(payload: object, records: Sequence[KafkaRecord]) -> set[int] | None:
    """The offsets a ReportBatchItemFailures response names (one partition's batch);
    None when the response is invalid, which Lambda counts as the whole batch failing."""
    items = batch_item_failures(payload)
    if items is None:
        return None
    known = {(record.partition_key, record.offset) for record in records}
    failed = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, dict):
            return None
        named = (identifier.get("partition"), identifier.get("offset"))
        if named not in known:
            return None
        failed.add(int(identifier["offset"]))
    return failed


@dataclass(frozen=True)
class Attempt:
    """One invocation with a batch: what to retry, and which records failed."""

    result: InvocationResult
    retry: list[KafkaRecord]
    """The batch from its first failed record on (Lambda resumes a partition there)."""
    failed: list[KafkaRecord]


class KafkaPoller:
    """Runs one Kafka event source mapping: a reader per partition of its topic."""

    def __init__(
        self,
        mapping: KafkaMapping,
        invoke: Invoke,
        *,
        bootstrap_servers: str,
    ) -> None:
        self.mapping = mapping
        self._invoke = invoke
        self.bootstrap_servers = bootstrap_servers
        self._producer: Any = None
        self._producer_lock = threading.Lock()
        self._readers: list[PartitionReader] = []

    @property
    def running(self) -> bool:
        return any(reader.running for reader in self._readers)

    def start(self) -> None:
        if self.running:
            return
        self._readers = [PartitionReader(self, partition) for partition in self._partitions()]
        for reader in self._readers:
            reader.start()

    def stop(self) -> None:
        """Returns within about STOP_TIMEOUT_S; an invocation in flight finishes in the
        background and its batch is committed (or read again by the next start)."""
        for reader in self._readers:
            reader.stopping.set()
        for reader in self._readers:
            reader.join(STOP_TIMEOUT_S)
        self._readers = []

    def new_consumer(self) -> Any:
        from confluent_kafka import Consumer

        reset = "earliest" if self.mapping.starting_position == "TRIM_HORIZON" else "latest"
        return Consumer(
            {
                **CONSUMER_SETTINGS,
                "bootstrap.servers": self.bootstrap_servers,
                "group.id": self.mapping.consumer_group,
                "auto.offset.reset": reset,
            }
        )

    def invoke(self, batch: Sequence[KafkaRecord]) -> Attempt:
        event = msk_event(batch, self.mapping, self.bootstrap_servers)
        result = invoke_safely(self._invoke, self.mapping.function, event)
        failed: set[int] | None = set()
        if not result.ok:
            failed = None
        elif self.mapping.report_batch_item_failures:
            failed = failed_offsets(result.payload, batch)
        if failed is None:
            return Attempt(result, list(batch), list(batch))
        if not failed:
            return Attempt(result, [], [])
        first = min(index for index, record in enumerate(batch) if record.offset in failed)
        return Attempt(result, list(batch[first:]), [r for r in batch if r.offset in failed])

    def send_to_destination(self, records: Sequence[KafkaRecord], attempt: Attempt) -> None:
        """Write records whose retries are spent to the on-failure topic (raises if the
        broker does not take them), or log them when the mapping has no destination."""
        result = attempt.result
        error = result.error_type or "ReportedFailure"
        reason = result.error_message or "the function reported the record as failed"
        topic = self.mapping.on_failure_topic
        if topic is None:
            logger.error(
                "%s: discarding %d Kafka records of %s after %d retries (%s: %s)",
                self.mapping.function,
                len(records),
                records[0].partition_key,
                self.mapping.retry_limit,
                error,
                reason,
            )
            return
        producer = self._destination_producer()
        reports: list[Any] = []
        for record in records:
            producer.produce(
                topic,
                value=record.value,
                key=record.key,
                headers=[*record.headers, *self._failure_headers(record, error, reason)],
                on_delivery=lambda failure, _message: reports.append(failure),
            )
            if producer.flush(10) > 0 or reports[-1:] != [None]:
                raise RuntimeError(f"the on-failure topic {topic} did not take a record")
        logger.warning(
            "%s: %d Kafka records of %s sent to %s after %d retries (%s: %s)",
            self.mapping.function,
            len(records),
            records[0].partition_key,
            topic,
            self.mapping.retry_limit,
            error,
            reason,
        )

    def _failure_headers(
        self, record: KafkaRecord, error: str, reason: str
    ) -> list[tuple[str, bytes]]:
        failure = {
            "function": self.mapping.function,
            "source-topic": record.topic,
            "source-partition": str(record.partition),
            "source-offset": str(record.offset),
            "consumer-group": self.mapping.consumer_group,
            "condition": "RetryAttemptsExhausted",
            "error-type": error,
            "error-message": reason[:1000],
            "time": datetime.now(UTC).isoformat(),
        }
        return [(FAILURE_HEADER_PREFIX + name, value.encode()) for name, value in failure.items()]

    def _destination_producer(self) -> Any:
        with self._producer_lock:
            if self._producer is None:
                from confluent_kafka import Producer

                self._producer = Producer(
                    {"bootstrap.servers": self.bootstrap_servers, "acks": "all", "linger.ms": 0}
                )
            return self._producer

    def _partitions(self) -> list[int]:
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers})
        metadata = admin.list_topics(topic=self.mapping.topic, timeout=10)
        topic = metadata.topics.get(self.mapping.topic)
        if topic is None or topic.error is not None or not topic.partitions:
            raise RuntimeError(
                f"Kafka topic {self.mapping.topic!r} of {self.mapping.function}'s event source "
                f"mapping is not on the broker at {self.bootstrap_servers}"
            )
        return sorted(topic.partitions)


class PartitionReader:
    """Reads one partition for a KafkaPoller and delivers it batch by batch, in order."""

    def __init__(self, poller: KafkaPoller, partition: int) -> None:
        self.poller = poller
        self.mapping = poller.mapping
        self.partition = partition
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        name = f"kafka-poller-{self.mapping.function}-{self.partition}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def join(self, timeout_s: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        from confluent_kafka import TopicPartition

        consumer = self.poller.new_consumer()
        # Assigned, not subscribed: the mapping's reader owns its partition, so no group
        # rebalance (seconds) is waited for; offsets are still committed to the group.
        start = TopicPartition(self.mapping.topic, self.partition)
        consumer.assign([start])
        try:
            while not self.stopping.is_set():
                self._step(consumer)
        finally:
            consumer.close()

    def _step(self, consumer: Any) -> None:
        from confluent_kafka import TopicPartition

        records: list[KafkaRecord] = []
        try:
            records = self._gather(consumer)
            # A reader stopped meanwhile does not commit: its topic may have been made
            # again (a reset) and the batch is read again by the next start anyway.
            if records and self._deliver(records) and not self.stopping.is_set():
                self._commit(consumer, records[-1].offset + 1)
            self._recovered()
        except Exception as error:
            self.stopping.wait(self._failed(error))
            if records:
                # Read the batch again: nothing of it was committed.
                consumer.assign(
                    [TopicPartition(self.mapping.topic, self.partition, records[0].offset)]
                )

    def _gather(self, consumer: Any) -> list[KafkaRecord]:
        """Up to BatchSize records, gathered for up to the batching window once the first
        one arrives."""
        first = consumer.poll(POLL_TIMEOUT_S)
        if first is None:
            return []
        messages = [first]
        window_ends = time.monotonic() + self.mapping.batching_window_s
        while len(messages) < self.mapping.batch_size and not self.stopping.is_set():
            remaining = window_ends - time.monotonic()
            more = consumer.consume(
                self.mapping.batch_size - len(messages), timeout=max(0.0, min(remaining, 0.5))
            )
            messages += more
            if remaining <= 0:
                break
        # An error (the broker gone, the topic being made again) is not a record: the
        # records read with it are still delivered, and the reader backs off if none were.
        records = [KafkaRecord.from_message(m) for m in messages if m.error() is None]
        errors = [str(m.error()) for m in messages if m.error() is not None]
        if errors and not records:
            raise RuntimeError(f"reading {self.mapping.topic}: {errors[0]}")
        return records

    def _deliver(self, records: list[KafkaRecord]) -> bool:
        """Invokes until every record succeeded, was filtered out, or went to the on-failure
        destination, in order; False if the reader was stopped first."""
        pending = [(self._passing_filters(records), 0)]
        while pending:
            batch, retries = pending.pop(0)
            if not batch:
                continue
            if self.stopping.is_set():
                return False
            attempt = self.poller.invoke(batch)
            if not attempt.retry:
                continue
            if self.mapping.bisect_batch_on_error and len(attempt.retry) == len(batch) > 1:
                # Splitting a batch does not count towards the retry quota.
                half = len(batch) // 2
                pending[:0] = [(batch[:half], retries), (batch[half:], retries)]
                continue
            retries += 1
            limit = self.mapping.retry_limit
            if 0 <= limit < retries:
                self.poller.send_to_destination(attempt.failed, attempt)
                continue
            logger.info(
                "%s: Kafka batch of %s failed from offset %d (%s: %s); retrying",
                self.mapping.function,
                batch[0].partition_key,
                attempt.retry[0].offset,
                attempt.result.error_type or "batchItemFailures",
                attempt.result.error_message or "reported by the function",
            )
            self.stopping.wait(min(MAX_RETRY_BACKOFF_S, RETRY_BACKOFF_S * 2 ** (retries - 1)))
            pending.insert(0, (attempt.retry, retries))
        return True

    def _passing_filters(self, records: list[KafkaRecord]) -> list[KafkaRecord]:
        if not self.mapping.filters:
            return records
        return [
            record
            for record in records
            if matches_any(self.mapping.filters, filterable(_event_record(record), record.value))
        ]

    def _commit(self, consumer: Any, next_offset: int) -> None:
        from confluent_kafka import TopicPartition

        consumer.commit(
            offsets=[TopicPartition(self.mapping.topic, self.partition, next_offset)],
            asynchronous=False,
        )

    def _failed(self, error: Exception) -> float:
        """Logs the first failure of a run of failures; the seconds to wait."""
        if self._failures == 0:
            logger.warning(
                "Kafka poller %s <- %s[%d]: %s: %s; retrying until it works",
                self.mapping.function,
                self.mapping.topic,
                self.partition,
                type(error).__name__,
                error,
            )
        self._failures += 1
        return min(MAX_BACKOFF_S, 0.1 * 2 ** (self._failures - 1))

    def _recovered(self) -> None:
        if self._failures:
            logger.warning(
                "Kafka poller %s <- %s[%d]: working again after %d failures",
                self.mapping.function,
                self.mapping.topic,
                self.partition,
                self._failures,
            )
            self._failures = 0
