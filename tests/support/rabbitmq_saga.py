"""The saga tests' hooks into a local cloud whose events travel over RabbitMQ: what the
services published (a queue of the test's own bound to the exchange by `#`), an event
published again, the consumer queues drained, raw messages into one consumer's queue and
what landed in its dead-letter queue. `support.saga_http` uses these when the shop runs
the RabbitMQ variant."""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

import pika
import pika.exceptions

from localcloud.event_sources.rabbitmq.provisioning import rabbitmq_stack_of
from localcloud.event_sources.rabbitmq.runtime import LocalRabbitMQ
from support.waiting import wait_until

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud
    from localcloud.event_sources.rabbitmq.broker import RabbitMQBroker

Json = dict[str, Any]
EXCHANGE = "petstore-events"
"""The exchange infrastructure/rabbitmq/generate.py declares (EVENTS_EXCHANGE_NAME)."""
DEAD_LETTER_SUFFIX = ".dead-letters"
PUBLISH_ATTEMPTS = 3

logger = logging.getLogger(__name__)


def uses_rabbitmq(cloud: LocalCloud) -> bool:
    return cloud.stack is not None and rabbitmq_stack_of(cloud.stack).in_use


def broker(cloud: LocalCloud) -> RabbitMQBroker:
    rabbitmq = cloud.runtime_of(LocalRabbitMQ)
    assert rabbitmq is not None and rabbitmq.broker is not None, "no RabbitMQ broker runs"
    return rabbitmq.broker


def queue_of(logical_id: str) -> str:
    """The RabbitMQ queue that replaces an SQS queue of template.yaml: the consumer's name
    in kebab case ("InventoryOrderEvents" -> inventory-order-events), its dead-letter
    queue with DEAD_LETTER_SUFFIX."""
    dead_letters = logical_id.endswith("DeadLetterQueue")
    base = logical_id.removesuffix("DeadLetterQueue").removesuffix("Queue")
    name = re.sub(r"(?<!^)(?=[A-Z])", "-", base).lower()
    return name + DEAD_LETTER_SUFFIX if dead_letters else name


def _publish(cloud: LocalCloud, exchange: str, routing_key: str, bodies: list[bytes]) -> None:
    """Each body confirmed by the broker. A nacked one is published again, as a producer
    does with what the broker did not take (the services' outbox does the same)."""
    connection = broker(cloud).connect()
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for body in bodies:
            _publish_confirmed(cloud, channel, exchange, routing_key, body)
    finally:
        connection.close()


def _publish_confirmed(
    cloud: LocalCloud, channel: Any, exchange: str, routing_key: str, body: bytes
) -> None:
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        try:
            channel.basic_publish(
                exchange, routing_key, body, pika.BasicProperties(delivery_mode=2)
            )
            return
        except pika.exceptions.NackError as error:
            if attempt == PUBLISH_ATTEMPTS:
                raise AssertionError(
                    f"The broker nacked a publish to {routing_key!r} {attempt} times. "
                    f"It said:\n{broker(cloud).said()}"
                ) from error
            logger.warning("The broker nacked a publish to %r; publishing it again", routing_key)


def publish_again(cloud: LocalCloud, event: Json) -> None:
    """The envelope on the exchange again, routed by its type, as a retried publish is."""
    _publish(cloud, EXCHANGE, event["type"], [json.dumps(event).encode()])


def send_to_consumer(cloud: LocalCloud, queue: str, bodies: list[str]) -> None:
    """The bodies straight into the consumer's queue (the default exchange routes by name)."""
    _publish(cloud, "", queue_of(queue), [body.encode() for body in bodies])


def dead_letters(cloud: LocalCloud, dead_letter_queue: str) -> list[str]:
    """The bodies in the queue (read unacknowledged, so they stay)."""
    connection = broker(cloud).connect()
    try:
        channel = connection.channel()
        bodies = []
        while True:
            method, _properties, body = channel.basic_get(queue_of(dead_letter_queue))
            if method is None:
                return bodies
            bodies.append(body.decode())
    finally:
        connection.close()


def drained(cloud: LocalCloud) -> bool:
    """Whether no consumer queue holds a message, ready or unacknowledged."""
    assert cloud.stack is not None
    consumer_queues = {mapping.queue for mapping in rabbitmq_stack_of(cloud.stack).mappings}
    counts = broker(cloud).control("list_queues", "/", "name", "messages")
    return all(row["messages"] == 0 for row in counts if row["name"] in consumer_queues)


def wait_until_drained(cloud: LocalCloud, timeout_s: float) -> None:
    wait_until(lambda: drained(cloud) and drained(cloud), timeout_s=timeout_s, what="queues")


class RabbitMQTap:
    """An exclusive queue bound to the exchange by `#`: every event published from now on."""

    def __init__(self, cloud: LocalCloud) -> None:
        self._connection = broker(cloud).connect()
        self._channel = self._connection.channel()
        self._queue = self._channel.queue_declare("", exclusive=True).method.queue
        self._channel.queue_bind(self._queue, EXCHANGE, routing_key="#")
        self.seen: list[Json] = []

    def events(self) -> list[Json]:
        while True:
            method, _properties, body = self._channel.basic_get(self._queue, auto_ack=True)
            if method is None:
                return list(self.seen)
            self.seen.append(json.loads(body))
