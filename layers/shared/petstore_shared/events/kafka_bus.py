"""The Kafka adapter of the event bus: one Kafka topic per event family (on Amazon MSK, or
the local cloud's broker), the envelope as the record's value, and the correlation id
(the order id) as its key, so one order's events land on one partition and stay in order.

Every publish waits for the broker's acknowledgement: a publish that fails raises, and
the caller's retry (the outbox stream, the consumer's redelivery) publishes it again,
as with SNS. The event's type, version and correlation id travel as headers too.

Where the brokers are comes from the environment: `KAFKA_BOOTSTRAP_SERVERS`, a
plaintext listener given as is (the local cloud's broker, or any broker a developer
points at), else the MSK cluster `KAFKA_CLUSTER_ARN`, reached over SASL/IAM.

Under SnapStart, a producer made during init is closed before the snapshot (its
connections and librdkafka's threads cannot be shared, nor survive being restored), and
each restored execution environment makes a producer of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Protocol

from pydantic import Field
from snapshot_restore_py import register_after_restore, register_before_snapshot

from petstore_shared.events.bus import TopicNotConfigured
from petstore_shared.events.envelope import Event, Topic
from petstore_shared.settings import EnvironmentSettings, load_settings

ACK_TIMEOUT_S = 6.0
"""Longer than the producer's own delivery timeout below, and well inside the functions'
10 s timeout: a broker that is down fails the publish, not the whole invocation."""
# Not the idempotent producer: its set-up delays a cold start's first publish by ~0.5 s,
# and with one publish in flight at a time a retry cannot reorder records; a duplicate
# it might write is one more redelivery, which every consumer absorbs.
PRODUCER_SETTINGS: Mapping[str, Any] = {
    "acks": "all",
    "linger.ms": 0,
    "message.timeout.ms": 5000,
    "socket.connection.setup.timeout.ms": 3000,
}

DeliveryReport = Callable[[Any, Any], None]
"""confluent-kafka's `on_delivery(error, message)`; `error` is None once the broker has it."""


class KafkaProducer(Protocol):
    """What the bus needs of confluent_kafka.Producer."""

    def produce(
        self,
        topic: str,
        *,
        value: bytes,
        key: bytes,
        headers: list[tuple[str, str | bytes | None]],
        on_delivery: DeliveryReport,
    ) -> None: ...

    def flush(self, timeout: float) -> int: ...

    def close(self) -> object: ...


class EventNotPublished(Exception):
    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(f"The event was not published to Kafka topic {topic!r}: {reason}")


class KafkaNotConfigured(Exception):
    def __init__(self) -> None:
        super().__init__(
            "This function has no Kafka brokers: set KAFKA_BOOTSTRAP_SERVERS or KAFKA_CLUSTER_ARN."
        )


class KafkaTopicSettings(EnvironmentSettings):
    """Each function gets the names of the topics it may publish to, and no others."""

    orders_topic_name: str | None = Field(default=None, alias="ORDERS_TOPIC_NAME")
    payments_topic_name: str | None = Field(default=None, alias="PAYMENTS_TOPIC_NAME")
    notifications_topic_name: str | None = Field(default=None, alias="NOTIFICATIONS_TOPIC_NAME")

    def topic_names(self) -> dict[Topic, str]:
        configured = {
            Topic.ORDERS: self.orders_topic_name,
            Topic.PAYMENTS: self.payments_topic_name,
            Topic.NOTIFICATIONS: self.notifications_topic_name,
        }
        return {topic: name for topic, name in configured.items() if name}


class KafkaConnectionSettings(EnvironmentSettings):
    bootstrap_servers: str | None = Field(default=None, alias="KAFKA_BOOTSTRAP_SERVERS")
    cluster_arn: str | None = Field(default=None, alias="KAFKA_CLUSTER_ARN")
    region: str = Field(default="us-east-1", alias="AWS_REGION")


class KafkaEventBus:
    def __init__(
        self,
        producer: KafkaProducer,
        topic_names: Mapping[Topic, str],
        ack_timeout_s: float = ACK_TIMEOUT_S,
    ) -> None:
        self._producer: KafkaProducer | None = producer
        self._topic_names = dict(topic_names)
        self._ack_timeout_s = ack_timeout_s

    def close(self) -> None:
        """Delivers what is queued, then closes the producer; `reopen` gives a new one."""
        producer, self._producer = self._producer, None
        if producer is not None:
            producer.flush(self._ack_timeout_s)
            producer.close()

    def reopen(self, producer: KafkaProducer) -> None:
        self.close()
        self._producer = producer

    def publish(self, event: Event[Any]) -> None:
        topic = self._topic_names.get(event.data.topic)
        if topic is None:
            raise TopicNotConfigured(event.data.topic)
        if self._producer is None:
            raise EventNotPublished(topic, "the bus's producer is closed")
        reports: list[Any] = []
        headers: list[tuple[str, str | bytes | None]] = [
            ("type", event.type.encode()),
            ("version", str(event.version).encode()),
            ("correlationId", event.correlation_id.encode()),
        ]
        producer = self._producer
        producer.produce(
            topic,
            value=event.to_json().encode(),
            key=event.correlation_id.encode(),
            headers=headers,
            on_delivery=lambda error, _message: reports.append(error),
        )
        if producer.flush(self._ack_timeout_s) > 0 or not reports:
            raise EventNotPublished(topic, f"no acknowledgement within {self._ack_timeout_s} s")
        if reports[0] is not None:
            raise EventNotPublished(topic, str(reports[0]))


def producer_config(settings: KafkaConnectionSettings) -> dict[str, Any]:
    """The producer's settings for the brokers the environment names."""
    return {**PRODUCER_SETTINGS, **connection_config(settings)}


def connection_config(settings: KafkaConnectionSettings) -> dict[str, Any]:
    """How any client (producer, admin) reaches the brokers the environment names."""
    if settings.bootstrap_servers:
        return {"bootstrap.servers": settings.bootstrap_servers}
    if settings.cluster_arn:
        return msk_iam_connection(settings.cluster_arn, settings.region)
    raise KafkaNotConfigured()


def msk_iam_connection(cluster_arn: str, region: str) -> dict[str, Any]:
    """The cluster's SASL/IAM brokers, and OAUTHBEARER tokens signed with the function's
    role (MSK IAM access control). Needs `aws-msk-iam-sasl-signer-python` in the layer."""
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    from petstore_shared.aws_clients import kafka_client

    kafka: Any = kafka_client()
    brokers = kafka.get_bootstrap_brokers(ClusterArn=cluster_arn)
    # MSK Serverless answers with its single IAM endpoint; provisioned clusters list brokers.
    bootstrap_servers = brokers["BootstrapBrokerStringSaslIam"]

    def signed_token(_config: str) -> tuple[str, float]:
        token, expires_at_ms = MSKAuthTokenProvider.generate_auth_token(region)
        return token, expires_at_ms / 1000

    return {
        "bootstrap.servers": bootstrap_servers,
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "OAUTHBEARER",
        "oauth_cb": signed_token,
    }


@cache
def kafka_event_bus_from_environment() -> KafkaEventBus:
    bus = KafkaEventBus(new_producer(), load_settings(KafkaTopicSettings).topic_names())
    renew_producer_on_restore(bus, new_producer)
    return bus


def new_producer() -> KafkaProducer:
    from confluent_kafka import Producer

    producer: KafkaProducer = Producer(producer_config(load_settings(KafkaConnectionSettings)))
    return producer


def renew_producer_on_restore(bus: KafkaEventBus, make: Callable[[], KafkaProducer]) -> None:
    """SnapStart: the bus's producer is closed before the snapshot and made anew in each
    restored execution environment."""
    register_before_snapshot(bus.close)
    register_after_restore(lambda: bus.reopen(make()))
