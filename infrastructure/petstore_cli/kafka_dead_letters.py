"""`petstore dlq` for the Kafka variant: each consumer's on-failure (dead-letter) topic,
its records with the failure the local cloud's poller wrote in their headers, and
redrive back to the topic each record came from, keyed as it was, for the consumer group
that failed it only: every group reads that topic, and the others skip a record whose
REDRIVEN_FOR_HEADER names another group, so a redrive reaches the failed consumer as an
SQS redrive reaches the failed consumer's queue.

A Kafka topic keeps what it was given, so "redriven" is a position: the consumer group
REDRIVEN_GROUP commits, per dead-letter topic, the offset up to which records went back.
Only what lies past it is listed, counted and redriven.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud.event_sources.kafka.poller import FAILURE_HEADER_PREFIX
from petstore_cli import running_cloud
from petstore_cli.dlq import DeadLetter, DeadLetterError, DeadLetterQueue, DeadLetters

REDRIVEN_GROUP = "petstore-dead-letters-redriven"
REDRIVEN_FOR_HEADER = "redriven-for-consumer-group"
"""The header naming the one consumer group a redriven record is for; the services'
consumers skip a record redriven for another group (petstore_shared.events.records)."""
READ_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class _Record:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    timestamp_ms: int

    @property
    def message_id(self) -> str:
        return f"{self.partition}:{self.offset}"

    def failure(self, name: str) -> str:
        for header, value in self.headers:
            if header == FAILURE_HEADER_PREFIX + name:
                return value.decode(errors="replace")
        return ""


class KafkaDeadLetters:
    def __init__(self, bootstrap_servers: str, sources: Mapping[str, Sequence[str]]) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._sources = {topic: tuple(names) for topic, names in sources.items()}

    def queues(self) -> list[DeadLetterQueue]:
        with self._consumer() as consumer:
            return [
                DeadLetterQueue(topic, sources, sum(_pending_counts(consumer, topic).values()))
                for topic, sources in sorted(self._sources.items())
            ]

    def messages(self, queue: str) -> list[DeadLetter]:
        topic = self._find(queue)
        with self._consumer() as consumer:
            return [_dead_letter(record) for record in _pending(consumer, topic)]

    def redrive(self, queue: str, message_id: str | None = None) -> list[str]:
        topic = self._find(queue)
        with self._consumer() as consumer:
            records = _pending(consumer, topic)
            chosen = [r for r in records if message_id in (None, r.message_id)]
            if message_id is not None and not chosen:
                raise DeadLetterError(f"No record {message_id} waiting in {topic}")
            if message_id is not None and not _first_of_its_partition(chosen[0], records):
                raise DeadLetterError(
                    f"{message_id} is not the oldest record of its partition in {topic}: "
                    "redrive those before it first, or the whole topic"
                )
            self._send_back(chosen)
            _mark_redriven(consumer, topic, chosen)
        return [record.message_id for record in chosen]

    def _find(self, wanted: str) -> str:
        topics = sorted(self._sources)
        exact = [topic for topic in topics if topic == wanted]
        found = exact or [topic for topic in topics if wanted.lower() in topic.lower()]
        if len(found) == 1:
            return found[0]
        names = ", ".join(found or topics) or "none"
        what = "matches" if found else "is not a dead-letter topic; they are"
        raise DeadLetterError(f"{wanted!r} {what}: {names}")

    def _send_back(self, records: Sequence[_Record]) -> None:
        from confluent_kafka import Producer

        producer = Producer({"bootstrap.servers": self._bootstrap_servers, "linger.ms": 0})
        reports: list[Any] = []
        for record in records:
            source = record.failure("source-topic")
            if not source:
                raise DeadLetterError(f"Record {record.message_id} does not say where it came from")
            reports.clear()
            kept = [h for h in record.headers if not h[0].startswith(FAILURE_HEADER_PREFIX)]
            producer.produce(
                source,
                value=record.value,
                key=record.key,
                headers=[*kept, (REDRIVEN_FOR_HEADER, record.failure("consumer-group").encode())],
                on_delivery=lambda error, _message: reports.append(error),
            )
            # One at a time: a record only counts as redriven once its topic has it.
            if producer.flush(READ_TIMEOUT_S) > 0 or reports != [None]:
                raise DeadLetterError(f"{source} did not take record {record.message_id}")

    @contextmanager
    def _consumer(self) -> Iterator[Any]:
        from confluent_kafka import Consumer

        consumer = Consumer(
            {
                "bootstrap.servers": self._bootstrap_servers,
                "group.id": REDRIVEN_GROUP,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        try:
            yield consumer
        finally:
            consumer.close()


def _partitions(consumer: Any, topic: str) -> list[int]:
    metadata = consumer.list_topics(topic, timeout=READ_TIMEOUT_S).topics.get(topic)
    if metadata is None or metadata.error is not None:
        raise DeadLetterError(f"Dead-letter topic {topic} is not on the broker")
    return sorted(metadata.partitions)


def _pending_counts(consumer: Any, topic: str) -> dict[int, int]:
    """Per partition: how many records lie past the redriven position."""
    from confluent_kafka import TopicPartition

    partitions = [TopicPartition(topic, p) for p in _partitions(consumer, topic)]
    redriven = consumer.committed(partitions, timeout=READ_TIMEOUT_S)
    counts = {}
    for position in redriven:
        low, high = consumer.get_watermark_offsets(position, timeout=READ_TIMEOUT_S)
        counts[position.partition] = max(0, high - max(position.offset, low))
    return counts


def _pending(consumer: Any, topic: str) -> list[_Record]:
    """Every record past the redriven position, in order per partition."""
    from confluent_kafka import TopicPartition

    counts = {p: n for p, n in _pending_counts(consumer, topic).items() if n}
    if not counts:
        return []
    consumer.assign([TopicPartition(topic, p) for p in counts])
    records: list[_Record] = []
    deadline = time.monotonic() + READ_TIMEOUT_S
    while sum(counts.values()) > 0 and time.monotonic() < deadline:
        for message in consumer.consume(100, timeout=0.5):
            if message.error() is not None or counts.get(message.partition(), 0) <= 0:
                continue
            counts[message.partition()] -= 1
            records.append(_record(message))
    return sorted(records, key=lambda record: (record.partition, record.offset))


def _record(message: Any) -> _Record:
    return _Record(
        partition=message.partition(),
        offset=message.offset(),
        key=message.key(),
        value=message.value() or b"",
        headers=tuple((name, value or b"") for name, value in message.headers() or ()),
        timestamp_ms=message.timestamp()[1],
    )


def _first_of_its_partition(record: _Record, records: Sequence[_Record]) -> bool:
    return min(r.offset for r in records if r.partition == record.partition) == record.offset


def _mark_redriven(consumer: Any, topic: str, records: Sequence[_Record]) -> None:
    from confluent_kafka import TopicPartition

    last: dict[int, int] = {}
    for record in records:
        last[record.partition] = max(last.get(record.partition, -1), record.offset)
    if last:
        positions = [TopicPartition(topic, p, offset + 1) for p, offset in last.items()]
        consumer.commit(offsets=positions, asynchronous=False)


def _dead_letter(record: _Record) -> DeadLetter:
    body = record.value.decode(errors="replace")
    try:
        envelope = json.loads(body)
    except ValueError:
        envelope = None
    envelope = envelope if isinstance(envelope, dict) else {}
    reason = (record.failure("error-type"), record.failure("error-message"))
    error = ": ".join(part for part in reason if part)
    function = record.failure("function")
    return DeadLetter(
        message_id=record.message_id,
        body=body,
        sent_at=datetime.fromtimestamp(record.timestamp_ms / 1000, UTC)
        if record.timestamp_ms > 0
        else None,
        event_id=_text(envelope.get("id")),
        event_type=_text(envelope.get("type")),
        correlation_id=_text(envelope.get("correlationId")),
        errors=(f"{function}: {error}",) if function or error else (),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def running_kafka_dead_letters(endpoint_url: str, region: str) -> DeadLetters:
    """The running local cloud's dead-letter topics (its broker and topics are in its state
    file; the AWS emulator plays no part)."""
    cloud = running_cloud.load()
    if not cloud.kafka_bootstrap_servers:
        raise DeadLetterError(
            "The running local cloud has no Kafka broker: start it with `petstore up "
            "--transport kafka`."
        )
    return KafkaDeadLetters(cloud.kafka_bootstrap_servers, cloud.kafka_dead_letter_topics)
