"""What the Kafka tests do with the broker: produce records, read committed offsets and
topics back, and a function that records the Kafka events it is invoked with."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition

from localcloud.event_sources.kafka.broker import KafkaBroker
from localcloud.model import InvocationResult


def produce(broker: KafkaBroker, topic: str, records: list[tuple[str, bytes]]) -> None:
    """Each (key, value) acknowledged by the broker, one at a time."""
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "linger.ms": 0})
    for key, value in records:
        producer.produce(topic, value=value, key=key.encode())
        assert producer.flush(10) == 0


def committed(broker: KafkaBroker, group: str, topic: str) -> dict[int, int]:
    """The group's committed offset of each partition that has one."""
    consumer = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": group})
    try:
        offsets = consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
    finally:
        consumer.close()
    return {tp.partition: tp.offset for tp in offsets if tp.offset >= 0}


def read_all(broker: KafkaBroker, topic: str, expected: int) -> list[Any]:
    """The first `expected` records of a one-partition topic."""
    consumer = Consumer(
        {"bootstrap.servers": broker.bootstrap_servers, "group.id": f"reader-{topic}"}
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    try:
        messages = []
        for _ in range(100):
            message = consumer.poll(0.1)
            if message is not None and message.error() is None:
                messages.append(message)
            if len(messages) >= expected:
                break
        return messages
    finally:
        consumer.close()


@dataclass
class RecordingFunction:
    """Stands in for the local cloud's invoker: records each Kafka event it is given and
    answers with what `respond` says (success by default)."""

    respond: Callable[[dict[str, Any]], InvocationResult] = lambda _event: InvocationResult(ok=True)
    events: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, function: str, event: dict[str, Any]) -> InvocationResult:
        with self.lock:
            self.events.append(event)
        return self.respond(event)

    def values(self) -> list[bytes]:
        """Every record value delivered, in delivery order per partition."""
        with self.lock:
            return [
                base64.b64decode(record["value"])
                for event in self.events
                for records in event["records"].values()
                for record in records
            ]
