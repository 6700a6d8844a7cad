"""The saga tests' hooks into a local cloud whose events travel over Kafka: what the
services published, an event published again, the consumer groups caught up, raw
records for one consumer and what landed in its dead-letter topic. `support.saga_http`
uses these when the shop runs the Kafka variant."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from confluent_kafka import Consumer, Producer, TopicPartition

from localcloud.event_sources.kafka.mapping import KafkaMapping
from localcloud.event_sources.kafka.provisioning import kafka_stack_of
from localcloud.event_sources.kafka.runtime import LocalKafka
from support.waiting import wait_until

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

Json = dict[str, Any]
EVENT_TOPICS = ("orders", "payments", "notifications")
TOPIC_OF_FAMILY = {"order": "orders", "inventory": "orders", "payment": "payments"}
READ_TIMEOUT_S = 0.3


def uses_kafka(cloud: LocalCloud) -> bool:
    return cloud.stack is not None and kafka_stack_of(cloud.stack).in_use


def bootstrap_servers(cloud: LocalCloud) -> str:
    kafka = cloud.runtime_of(LocalKafka)
    broker = kafka.broker if kafka is not None else None
    assert broker is not None, "the local cloud has no Kafka broker"
    return broker.bootstrap_servers


def produce(cloud: LocalCloud, topic: str, key: str, values: list[bytes]) -> None:
    """Each value acknowledged by the broker before the next is sent, all under one key."""
    producer = Producer({"bootstrap.servers": bootstrap_servers(cloud), "linger.ms": 0})
    for value in values:
        producer.produce(topic, value=value, key=key.encode())
        assert producer.flush(10) == 0, f"the broker did not take a record for {topic}"


def end_offsets(cloud: LocalCloud, topic: str) -> list[TopicPartition]:
    consumer = Consumer({"bootstrap.servers": bootstrap_servers(cloud), "group.id": "saga-test"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return [
            TopicPartition(
                topic,
                partition,
                consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)[1],
            )
            for partition in sorted(partitions)
        ]
    finally:
        consumer.close()


class KafkaTap:
    """Reads every event topic from where it ended when the tap was made."""

    def __init__(self, cloud: LocalCloud) -> None:
        self._consumer = Consumer(
            {"bootstrap.servers": bootstrap_servers(cloud), "group.id": "saga-test-tap"}
        )
        self._consumer.assign([p for topic in EVENT_TOPICS for p in end_offsets(cloud, topic)])
        self.seen: list[Json] = []

    def events(self) -> list[Json]:
        """Everything published since the tap was made (envelopes as JSON documents)."""
        while True:
            messages = self._consumer.consume(100, timeout=READ_TIMEOUT_S)
            records = [m for m in messages if m.error() is None]
            if not records:
                return list(self.seen)
            self.seen += [json.loads(record.value()) for record in records]


def publish_again(cloud: LocalCloud, event: Json) -> None:
    """The envelope on its family's topic again, keyed by its order, as a producer
    retrying a publish would write it."""
    topic = TOPIC_OF_FAMILY[event["type"].split(".")[0]]
    produce(cloud, topic, event["correlationId"], [json.dumps(event).encode()])


def committed(cloud: LocalCloud, mapping: KafkaMapping) -> list[int]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap_servers(cloud), "group.id": mapping.consumer_group}
    )
    try:
        ends = end_offsets(cloud, mapping.topic)
        positions = consumer.committed(
            [TopicPartition(mapping.topic, p.partition) for p in ends], timeout=10
        )
        return [max(position.offset, 0) for position in positions]
    finally:
        consumer.close()


def caught_up(cloud: LocalCloud) -> bool:
    """Whether every consumer group has committed every record of its topic."""
    assert cloud.stack is not None
    for mapping in kafka_stack_of(cloud.stack).mappings:
        ends = [partition.offset for partition in end_offsets(cloud, mapping.topic)]
        if committed(cloud, mapping) != ends:
            return False
    return True


def wait_until_caught_up(cloud: LocalCloud, timeout_s: float) -> None:
    wait_until(
        lambda: caught_up(cloud) and caught_up(cloud),
        timeout_s=timeout_s,
        what="every consumer group caught up",
    )


def mapping_of_queue(cloud: LocalCloud, queue: str) -> KafkaMapping:
    """The Kafka consumer that replaces an SQS consumer queue of template.yaml (its
    consumer group is the queue's name in kebab case, without "Queue")."""
    assert cloud.stack is not None
    base = queue.removesuffix("DeadLetterQueue").removesuffix("Queue")
    group = re.sub(r"(?<!^)(?=[A-Z])", "-", base).lower()
    for mapping in kafka_stack_of(cloud.stack).mappings:
        if mapping.consumer_group == group:
            return mapping
    raise AssertionError(f"no Kafka consumer group {group} replaces {queue}")


def send_to_consumer(cloud: LocalCloud, queue: str, bodies: list[str]) -> None:
    """The bodies as records of the topic the queue's consumer reads, on one partition."""
    mapping = mapping_of_queue(cloud, queue)
    produce(cloud, mapping.topic, "saga-test", [body.encode() for body in bodies])


def dead_letters(cloud: LocalCloud, dead_letter_queue: str) -> list[str]:
    """The record values in the dead-letter topic that replaces the queue."""
    topic = mapping_of_queue(cloud, dead_letter_queue).on_failure_topic
    assert topic is not None
    consumer = Consumer(
        {"bootstrap.servers": bootstrap_servers(cloud), "group.id": "saga-test-dead-letters"}
    )
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, partition, 0) for partition in partitions])
    try:
        messages = consumer.consume(100, timeout=READ_TIMEOUT_S)
        return [m.value().decode() for m in messages if m.error() is None]
    finally:
        consumer.close()
