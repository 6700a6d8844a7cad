"""The local cloud's Kafka broker: Tansu from the pinned wheel starts on a free port and
makes the template's topics with their partitions (keeping what a broker holds at start,
empty again when made again at a reset); an external broker that does not answer is
named in the error; and the Kafka adapter of the event bus publishes to it, one order's
events on one partition."""

from __future__ import annotations

import json
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from kafka_testing import produce

from localcloud.emulator.process import free_port
from localcloud.event_sources.kafka.broker import (
    KafkaBroker,
    KafkaBrokerUnreachable,
    start_kafka_broker,
)
from localcloud.event_sources.kafka.mapping import KafkaTopic
from petstore_shared.events.catalog import OrderCancelled
from petstore_shared.events.envelope import Topic, new_event
from petstore_shared.events.kafka_bus import KafkaEventBus

pytestmark = pytest.mark.integration


def partitions_of(broker: KafkaBroker, topic: str) -> int:
    return len(broker.admin().list_topics(timeout=10).topics[topic].partitions)


def test_topics_are_made_with_their_partitions_and_empty_again(
    kafka_broker: KafkaBroker,
) -> None:
    kafka_broker.recreate_topics([KafkaTopic("broker-orders", 3)])
    produce(kafka_broker, "broker-orders", [("order-1", b"before")])

    kafka_broker.recreate_topics([KafkaTopic("broker-orders", 3)])

    assert partitions_of(kafka_broker, "broker-orders") == 3
    consumer = Consumer({"bootstrap.servers": kafka_broker.bootstrap_servers, "group.id": "g"})
    consumer.assign([TopicPartition("broker-orders", p, 0) for p in range(3)])
    try:
        assert [consumer.poll(0.5) for _ in range(3)] == [None, None, None]
    finally:
        consumer.close()


def test_topics_made_at_start_keep_what_the_broker_already_holds(
    kafka_broker: KafkaBroker,
) -> None:
    kafka_broker.recreate_topics([KafkaTopic("broker-kept", 1)])
    produce(kafka_broker, "broker-kept", [("order-1", b"kept")])

    kafka_broker.create_missing_topics([KafkaTopic("broker-kept", 1), KafkaTopic("broker-new", 3)])

    assert partitions_of(kafka_broker, "broker-new") == 3
    consumer = Consumer({"bootstrap.servers": kafka_broker.bootstrap_servers, "group.id": "k"})
    consumer.assign([TopicPartition("broker-kept", 0, 0)])
    try:
        message: Any = consumer.poll(5)
        assert message is not None and message.value() == b"kept"
    finally:
        consumer.close()


def test_an_external_broker_that_does_not_answer_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", address)

    with pytest.raises(KafkaBrokerUnreachable, match=f"The Kafka broker at {address} does not"):
        start_kafka_broker()


def test_the_bus_publishes_one_orders_events_to_one_partition(kafka_broker: KafkaBroker) -> None:
    kafka_broker.recreate_topics([KafkaTopic("bus-orders", 3)])
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers, "linger.ms": 0})
    bus = KafkaEventBus(producer, {Topic.ORDERS: "bus-orders"})
    events = [
        new_event(
            OrderCancelled(
                order_id=f"order-{number % 4}",
                user_id="user-alice",
                pet_id="pet-1",
                quantity=1,
                previous_status="PENDING",
            ),
            source="test",
        )
        for number in range(12)
    ]

    for event in events:
        bus.publish(event)

    consumer = Consumer({"bootstrap.servers": kafka_broker.bootstrap_servers, "group.id": "bus"})
    consumer.assign([TopicPartition("bus-orders", p, 0) for p in range(3)])
    received: list[tuple[int, str, str]] = []
    try:
        while len(received) < len(events):
            message: Any = consumer.poll(5)
            assert message is not None, f"only {len(received)} of {len(events)} arrived"
            envelope = json.loads(message.value())
            received.append((message.partition(), message.key().decode(), envelope["id"]))
    finally:
        consumer.close()
    partitions_by_order: dict[str, set[int]] = {}
    for partition, key, _ in received:
        partitions_by_order.setdefault(key, set()).add(partition)
    assert all(len(partitions) == 1 for partitions in partitions_by_order.values())
    for order_id in partitions_by_order:
        sent = [event.id for event in events if event.correlation_id == order_id]
        assert [event_id for _, key, event_id in received if key == order_id] == sent
