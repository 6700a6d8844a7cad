"""What the `Custom::RabbitMQTopology` resource declares on the broker, from its
properties: one durable topic exchange; for each consumer a durable quorum queue bound to
it by each of its event types, with a delivery limit and a dead-letter exchange (fanout)
and queue of its own. Declaring is idempotent: what exists with the same arguments is
kept with its messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field


class ConsumerQueue(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(alias="Name", min_length=1)
    event_types: list[str] = Field(alias="EventTypes", min_length=1)
    dead_letter_queue: str = Field(alias="DeadLetterQueue", min_length=1)
    delivery_limit: int = Field(alias="DeliveryLimit", ge=1)
    """Returns of a message to the queue before it is dead-lettered."""


class Topology(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    exchange: str = Field(alias="Exchange", min_length=1)
    queues: list[ConsumerQueue] = Field(alias="Queues")


class Channel(Protocol):
    """What declaring needs of a pika BlockingChannel."""

    def exchange_declare(self, exchange: str, exchange_type: str, durable: bool) -> Any: ...

    def queue_declare(self, queue: str, durable: bool, arguments: dict[str, Any]) -> Any: ...

    def queue_bind(self, queue: str, exchange: str, routing_key: str) -> Any: ...


def wanted_topology(properties: Mapping[str, Any]) -> Topology:
    """The resource's properties (CloudFormation hands numbers over as text)."""
    return Topology.model_validate(properties)


def declare(channel: Channel, topology: Topology) -> list[str]:
    """Declares everything; the names of the queues declared."""
    channel.exchange_declare(topology.exchange, "topic", durable=True)
    declared = []
    for queue in topology.queues:
        dead_letter_exchange = queue.dead_letter_queue
        channel.exchange_declare(dead_letter_exchange, "fanout", durable=True)
        channel.queue_declare(
            queue.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        channel.queue_bind(queue.dead_letter_queue, dead_letter_exchange, routing_key="")
        channel.queue_declare(
            queue.name,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": queue.delivery_limit,
                "x-dead-letter-exchange": dead_letter_exchange,
            },
        )
        for event_type in queue.event_types:
            channel.queue_bind(queue.name, topology.exchange, routing_key=event_type)
        declared += [queue.name, queue.dead_letter_queue]
    return declared
