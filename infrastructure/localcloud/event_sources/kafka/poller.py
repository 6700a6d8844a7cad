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

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from localcloud.event_sources.base import Invoke, Outage, Poller, invoke_safely
from localcloud.event_sources.batching import BatchPolicy, gather
from localcloud.event_sources.filtering import filterable, matches_any
from localcloud.event_sources.kafka.events import (
    KafkaRecord,
    event_record,
    failed_offsets,
    msk_event,
)
from localcloud.event_sources.kafka.mapping import KafkaMapping
from localcloud.event_sources.ordered_retry import (
    Attempt,
    GivenUp,
    RetryPolicy,
    attempt_from,
    deliver_in_order,
)

logger = logging.getLogger(__name__)

POLL_TIMEOUT_S = 0.2
"""How long a reader waits for a first record: `stop()` is honoured within about that."""
MORE_WAIT_S = 0.5
"""The longest one read waits for more records while a batching window is open."""
RETRY_BACKOFF_S = 1.0
MAX_RETRY_BACKOFF_S = 8.0
"""Between retries of a failed batch: 1, 2, 4, 8 s... A consumer that fails because
another has not caught up yet (a transaction conflict, a store that is slow under load)
gets the seconds an SQS visibility timeout would give it before its retries run out."""
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


class KafkaPoller(Poller):
    """Runs one Kafka event source mapping: a reader per partition of its topic."""

    def __init__(self, mapping: KafkaMapping, invoke: Invoke, *, bootstrap_servers: str) -> None:
        super().__init__(mapping, f"kafka-poller-{mapping.function}")
        self.mapping: KafkaMapping = mapping
        self._invoke = invoke
        self.bootstrap_servers = bootstrap_servers
        self.batch_policy = BatchPolicy(mapping.batch_size, mapping.batching_window_s)
        self.retry_policy = RetryPolicy(
            retry_limit=mapping.retry_limit,
            bisect_on_error=mapping.bisect_batch_on_error,
            first_backoff_s=RETRY_BACKOFF_S,
            max_backoff_s=MAX_RETRY_BACKOFF_S,
        )
        self._producer: Any = None
        self._producer_lock = threading.Lock()

    def _loops(self) -> list[Callable[[], None]]:
        return [PartitionReader(self, partition).run for partition in self._partitions()]

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

    def invoke(self, batch: list[KafkaRecord]) -> Attempt[KafkaRecord]:
        event = msk_event(batch, self.mapping, self.bootstrap_servers)
        result = invoke_safely(self._invoke, self.mapping.function, event)
        failed: set[int] | None = set()
        if not result.ok:
            failed = None
        elif self.mapping.report_batch_item_failures:
            failed = failed_offsets(result.payload, batch)
        if failed is None:
            return attempt_from(result, batch, set(range(len(batch))))
        return attempt_from(
            result, batch, {index for index, record in enumerate(batch) if record.offset in failed}
        )

    def send_to_destination(self, given_up: GivenUp[KafkaRecord]) -> None:
        """Write records whose retries are spent to the on-failure topic (raises if the
        broker does not take them), or log them when the mapping has no destination."""
        # A Kafka mapping has no record age: records are only given up after invocations.
        assert given_up.last is not None
        records = given_up.failed
        result = given_up.last.result
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
        self._outage = Outage(
            f"Kafka poller {self.mapping.function} <- {self.mapping.topic}[{partition}]"
        )

    @property
    def stopping(self) -> threading.Event:
        """The stop signal of the poller's generation this reader's thread runs in."""
        return self.poller.stopping

    def run(self) -> None:
        from confluent_kafka import TopicPartition

        consumer = self.poller.new_consumer()
        # Assigned, not subscribed: the mapping's reader owns its partition, so no group
        # rebalance (seconds) is waited for; offsets are still committed to the group.
        consumer.assign([TopicPartition(self.mapping.topic, self.partition)])
        try:
            while not self.stopping.is_set():
                self._step(consumer)
        finally:
            consumer.close()

    def _step(self, consumer: Any) -> None:
        records: list[KafkaRecord] = []
        reads = 0

        def read(limit: int, wait_s: float) -> list[KafkaRecord]:
            nonlocal reads
            reads += 1
            return self._read(consumer, limit, wait_s, first=reads == 1)

        try:
            batch = gather(
                read,
                self.poller.batch_policy,
                self.stopping,
                first_wait_s=POLL_TIMEOUT_S,
                more_wait_s=MORE_WAIT_S,
                size_of=_size_of,
            )
            records = batch.records
            if batch.overflow:
                self._seek(consumer, batch.overflow[0].offset)
            # A reader stopped meanwhile does not commit: its topic may have been made
            # again (a reset) and the batch is read again by the next start anyway.
            if records and self._deliver(records) and not self.stopping.is_set():
                self._commit(consumer, records[-1].offset + 1)
            self._outage.recovered()
        except Exception as error:
            self.stopping.wait(self._outage.failed(error))
            if records:
                # Read the batch again: nothing of it was committed.
                self._seek(consumer, records[0].offset)

    def _read(self, consumer: Any, limit: int, wait_s: float, *, first: bool) -> list[KafkaRecord]:
        """A batch's first read takes the first record to arrive and what is already
        fetched after it; later reads wait up to `wait_s` for more."""
        if first:
            message = consumer.poll(wait_s)
            messages = [] if message is None else [message]
            if messages and limit > 1:
                messages += consumer.consume(limit - 1, timeout=0)
        else:
            messages = consumer.consume(limit, timeout=max(0.0, wait_s))
        # An error (the broker gone, the topic being made again) is not a record: the
        # records read with it are still delivered, and the reader backs off if none were.
        records = [KafkaRecord.from_message(m) for m in messages if m.error() is None]
        errors = [str(m.error()) for m in messages if m.error() is not None]
        if errors and not records:
            raise RuntimeError(f"reading {self.mapping.topic}: {errors[0]}")
        return records

    def _seek(self, consumer: Any, offset: int) -> None:
        from confluent_kafka import TopicPartition

        consumer.assign([TopicPartition(self.mapping.topic, self.partition, offset)])

    def _deliver(self, records: list[KafkaRecord]) -> bool:
        """Invokes until every record succeeded, was filtered out, or went to the on-failure
        destination, in order; False if the reader was stopped first."""
        return deliver_in_order(
            self._passing_filters(records),
            self.poller.invoke,
            self.poller.retry_policy,
            self.stopping,
            give_up=self.poller.send_to_destination,
            retrying=self._retrying,
        )

    def _retrying(self, attempt: Attempt[KafkaRecord], retries: int) -> None:
        logger.warning(
            "%s: Kafka batch of %s failed from offset %d (%s: %s); retry %d",
            self.mapping.function,
            attempt.retry[0].partition_key,
            attempt.retry[0].offset,
            attempt.result.error_type or "batchItemFailures",
            attempt.result.error_message or "reported by the function",
            retries,
        )

    def _passing_filters(self, records: list[KafkaRecord]) -> list[KafkaRecord]:
        if not self.mapping.filters:
            return records
        return [
            record
            for record in records
            if matches_any(self.mapping.filters, filterable(event_record(record), record.value))
        ]

    def _commit(self, consumer: Any, next_offset: int) -> None:
        from confluent_kafka import TopicPartition

        consumer.commit(
            offsets=[TopicPartition(self.mapping.topic, self.partition, next_offset)],
            asynchronous=False,
        )


def _size_of(record: KafkaRecord) -> int:
    return len(json.dumps(event_record(record)))
