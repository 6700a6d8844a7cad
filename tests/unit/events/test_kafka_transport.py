"""The Kafka transport in the services' code: the Kafka adapter of the event bus keys each
event by its order id and waits for the broker's acknowledgement; the environment picks
the transport; consumers read the same envelope from a Kafka record as from an SQS
record, and report a bad record of a Kafka batch alone."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest

from localcloud.event_sources.kafka.events import KafkaRecord, msk_event
from localcloud.event_sources.kafka.mapping import KafkaMapping
from petstore_shared.events import kafka_bus
from petstore_shared.events.bus import TopicNotConfigured, event_bus_from_environment
from petstore_shared.events.catalog import Money, NotificationSent, OrderCancelled, PaymentRefunded
from petstore_shared.events.envelope import Topic, new_event
from petstore_shared.events.kafka_bus import (
    EventNotPublished,
    KafkaConnectionSettings,
    KafkaEventBus,
    KafkaNotConfigured,
    kafka_event_bus_from_environment,
    producer_config,
)
from petstore_shared.events.records import REDRIVEN_FOR_HEADER, event_from_kafka_record
from petstore_shared.events.registry import MalformedEvent
from petstore_shared.settings import load_settings
from support.in_process_saga import InProcessSaga
from support.rest_api_invocation import LambdaContextStub

CANCELLED = OrderCancelled(
    order_id="order-1", user_id="user-alice", pet_id="pet-1", quantity=1, previous_status="PENDING"
)
CLUSTER_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/petstore/abc-1"


class RecordingProducer:
    """confluent_kafka.Producer as the bus uses it, acknowledging (or refusing) each record."""

    def __init__(self, refusal: str | None = None, acknowledges: bool = True) -> None:
        self.records: list[dict[str, Any]] = []
        self._refusal = refusal
        self._acknowledges = acknowledges
        self._pending: list[Any] = []
        self.closed = False

    def produce(self, topic: str, **record: Any) -> None:
        self.records.append({"topic": topic, **record})
        self._pending.append(record["on_delivery"])

    def flush(self, timeout: float) -> int:
        if not self._acknowledges:
            return len(self._pending)
        for report in self._pending:
            report(self._refusal, None)
        self._pending.clear()
        return 0

    def close(self) -> None:
        self.closed = True


def test_an_event_goes_to_its_family_topic_keyed_by_its_order_id() -> None:
    producer = RecordingProducer()
    event = new_event(CANCELLED, source="test")

    KafkaEventBus(producer, {Topic.ORDERS: "orders"}).publish(event)

    [record] = producer.records
    assert record["topic"] == "orders"
    assert record["key"] == b"order-1"
    assert json.loads(record["value"]) == json.loads(event.to_json())
    assert dict(record["headers"]) == {
        "type": b"order.cancelled",
        "version": b"1",
        "correlationId": b"order-1",
    }


def test_a_function_without_the_topic_of_an_event_cannot_publish_it() -> None:
    sent = NotificationSent(notification_id="n-1", user_id="u", subject="s", message="m")

    with pytest.raises(TopicNotConfigured):
        KafkaEventBus(RecordingProducer(), {Topic.ORDERS: "orders"}).publish(
            new_event(sent, source="test")
        )


@pytest.mark.parametrize(
    ("producer", "complaint"),
    [
        (RecordingProducer(refusal="Broker: Not enough in-sync replicas"), "in-sync replicas"),
        (RecordingProducer(acknowledges=False), "no acknowledgement within 0.1 s"),
    ],
)
def test_a_publish_the_broker_does_not_acknowledge_raises(
    producer: RecordingProducer, complaint: str
) -> None:
    bus = KafkaEventBus(producer, {Topic.ORDERS: "orders"}, ack_timeout_s=0.1)

    with pytest.raises(EventNotPublished, match=re.escape(complaint)):
        bus.publish(new_event(CANCELLED, source="test"))


def test_a_broker_address_in_the_environment_is_used_as_a_plaintext_listener() -> None:
    settings = KafkaConnectionSettings.model_validate({"KAFKA_BOOTSTRAP_SERVERS": "h:9092"})

    config = producer_config(settings)

    assert config["bootstrap.servers"] == "h:9092"
    assert "security.protocol" not in config
    assert config["acks"] == "all"


def test_without_brokers_or_a_cluster_the_bus_says_what_to_set() -> None:
    with pytest.raises(KafkaNotConfigured, match="KAFKA_BOOTSTRAP_SERVERS or KAFKA_CLUSTER_ARN"):
        producer_config(KafkaConnectionSettings.model_validate({}))


def test_the_environment_chooses_the_kafka_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict[str, Any]] = []

    def producer(config: dict[str, Any]) -> RecordingProducer:
        made.append(config)
        return RecordingProducer()

    monkeypatch.setattr("confluent_kafka.Producer", producer)
    for name, value in {
        "EVENT_TRANSPORT": "kafka",
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
        "ORDERS_TOPIC_NAME": "orders",
    }.items():
        monkeypatch.setenv(name, value)
    load_settings.cache_clear()
    kafka_event_bus_from_environment.cache_clear()
    try:
        bus = event_bus_from_environment()
    finally:
        load_settings.cache_clear()
        kafka_event_bus_from_environment.cache_clear()

    assert isinstance(bus, kafka_bus.KafkaEventBus)
    assert [config["bootstrap.servers"] for config in made] == ["127.0.0.1:9092"]


def kafka_record(
    value: bytes,
    offset: int = 0,
    partition: int = 0,
    headers: tuple[tuple[str, bytes | None], ...] = (),
) -> KafkaRecord:
    return KafkaRecord(
        topic="payments",
        partition=partition,
        offset=offset,
        timestamp_ms=1_795_000_000_000,
        timestamp_type="CREATE_TIME",
        key=b"order-1",
        value=value,
        headers=headers,
    )


def msk_records(*records: KafkaRecord) -> dict[str, Any]:
    mapping = KafkaMapping(
        function="NotificationPaymentEventsFunction",
        topic="payments",
        consumer_group="notifications-payment-events",
        event_source_arn=CLUSTER_ARN,
    )
    return msk_event(records, mapping, "127.0.0.1:9092")


def test_a_kafka_record_carries_the_envelope_as_its_value() -> None:
    event = new_event(CANCELLED, source="petstore.orders")
    [record] = msk_records(kafka_record(event.to_json().encode()))["records"]["payments-0"]

    assert event_from_kafka_record(record) == event


@pytest.mark.parametrize(
    ("record", "complaint"),
    [
        ({"offset": 1}, "has no value"),
        ({"value": "not base64!"}, "not base64"),
        ({"value": "//79"}, "not base64 of UTF-8"),
        ({"value": "bm90IGpzb24="}, "not JSON"),
    ],
)
def test_a_kafka_record_without_an_envelope_is_malformed(
    record: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(MalformedEvent, match=re.escape(complaint)):
        event_from_kafka_record(record)


def test_a_consumer_reports_only_the_malformed_record_of_a_kafka_batch(
    saga: InProcessSaga,
) -> None:
    from notifications.handlers import handle_payment_events

    refunded = PaymentRefunded(
        order_id="order-1",
        user_id="user-alice",
        pet_id="pet-1",
        quantity=1,
        payment_id="pay-1",
        refund_id="re-1",
        amount=Money(amount=Decimal("10.00"), currency="EUR"),
    )
    event = msk_records(
        kafka_record(b'{"type": "payment.refunded", "data": 42}', offset=7),
        kafka_record(new_event(refunded, source="test").to_json().encode(), offset=8),
    )

    response = handle_payment_events.lambda_handler(
        event, LambdaContextStub("NotificationPaymentEventsFunction")
    )

    assert response == {
        "batchItemFailures": [{"itemIdentifier": {"partition": "payments-0", "offset": 7}}]
    }
    [notification] = saga.items("NotificationsTable")
    assert notification["subject"]["S"] == "Refund issued"


def refund_record(refund_id: str, offset: int, redriven_for: str | None = None) -> KafkaRecord:
    refunded = PaymentRefunded(
        order_id=f"order-{refund_id}",
        user_id="user-alice",
        pet_id="pet-1",
        quantity=1,
        payment_id=f"pay-{refund_id}",
        refund_id=refund_id,
        amount=Money(amount=Decimal("10.00"), currency="EUR"),
    )
    headers = () if redriven_for is None else ((REDRIVEN_FOR_HEADER, redriven_for.encode()),)
    value = new_event(refunded, source="test").to_json().encode()
    return kafka_record(value, offset=offset, headers=headers)


def test_a_record_redriven_for_another_consumer_group_is_skipped_and_its_own_handled(
    saga: InProcessSaga, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notifications.handlers import handle_payment_events

    monkeypatch.setenv("KAFKA_CONSUMER_GROUP", "notifications-payment-events")
    event = msk_records(
        refund_record("re-other", 1, redriven_for="orders-payment-events"),
        refund_record("re-mine", 2, redriven_for="notifications-payment-events"),
        refund_record("re-new", 3),
    )

    response = handle_payment_events.lambda_handler(
        event, LambdaContextStub("NotificationPaymentEventsFunction")
    )

    assert response == {"batchItemFailures": []}
    orders = sorted(item["orderId"]["S"] for item in saga.items("NotificationsTable"))
    assert orders == ["order-re-mine", "order-re-new"]
