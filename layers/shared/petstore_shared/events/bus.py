"""The event bus as the services see it: one method. Each transport (SNS, Kafka, RabbitMQ) is an
adapter behind it; the topic comes from the event's family, the transport from the
function's environment (`EVENT_TRANSPORT`)."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import Field

from petstore_shared.events.envelope import Event
from petstore_shared.settings import EnvironmentSettings, load_settings


class EventBus(Protocol):
    def publish(self, event: Event[Any]) -> None:
        """Publish the event to its family's topic; raise if the transport refused it."""


class TopicNotConfigured(Exception):
    def __init__(self, topic: str) -> None:
        super().__init__(f"This function has no destination for the {topic!r} topic.")


class TransportSettings(EnvironmentSettings):
    event_transport: Literal["sns", "kafka", "rabbitmq"] = Field(
        default="sns", alias="EVENT_TRANSPORT"
    )


def event_bus_from_environment() -> EventBus:
    """The adapter of the transport the environment names; each is imported only when used
    (boto3 for SNS, confluent-kafka for Kafka, pika for RabbitMQ) and made once per
    execution environment."""
    transport = load_settings(TransportSettings).event_transport
    if transport == "kafka":
        from petstore_shared.events.kafka_bus import kafka_event_bus_from_environment

        return kafka_event_bus_from_environment()
    if transport == "rabbitmq":
        from petstore_shared.events.rabbitmq_bus import rabbitmq_event_bus_from_environment

        return rabbitmq_event_bus_from_environment()
    from petstore_shared.events.sns_bus import sns_event_bus_from_environment

    return sns_event_bus_from_environment()


def prepare_for_snapshot() -> None:
    """A before-snapshot hook of the functions that publish: under SnapStart the SNS
    adapter is made, and its publish primed, in the init phase (a restored publisher's
    first event otherwise waited 0.15-0.3 s for SNS's client). The Kafka and RabbitMQ
    adapters connect to their brokers when made, which a snapshot must not hold: they
    are made on first use, restored or not."""
    if load_settings(TransportSettings).event_transport == "sns":
        from petstore_shared.events.sns_bus import primed_sns_event_bus

        primed_sns_event_bus()
