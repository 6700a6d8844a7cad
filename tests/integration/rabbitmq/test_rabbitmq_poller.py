"""Amazon MQ event source mappings as the local cloud runs them, against its real broker:
batches in Lambda's `aws:rmq` shape, acknowledged whole when the function succeeds and
returned whole when it fails, until the queue's delivery limit sends them to its
dead-letter queue; a broker that does not answer named within seconds; and a stopped
broker leaves no process behind."""

from __future__ import annotations

import base64
import itertools
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pika
import pytest

from localcloud.emulator.process import free_port
from localcloud.event_sources.rabbitmq.broker import (
    RabbitMQBroker,
    RabbitMQBrokerUnreachable,
    check_broker,
    start_local_broker,
)
from localcloud.event_sources.rabbitmq.mapping import RabbitMQMapping
from localcloud.event_sources.rabbitmq.poller import RabbitMQPoller
from localcloud.model import InvocationResult
from support.waiting import wait_until

pytestmark = pytest.mark.integration

_names = itertools.count()
ARN = "arn:aws:mq:us-east-1:123456789012:broker:events:b-1"


@pytest.fixture(scope="module")
def broker() -> Iterator[RabbitMQBroker]:
    started = start_local_broker("127.0.0.1", free_port())
    yield started
    started.stop()


@pytest.fixture
def queue(broker: RabbitMQBroker) -> str:
    """A quorum queue that dead-letters a message after one redelivery."""
    name = f"test-queue-{next(_names)}"
    connection = broker.connect()
    channel = connection.channel()
    channel.exchange_declare(f"{name}.dlx", "fanout", durable=True)
    channel.queue_declare(f"{name}.dlq", durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(f"{name}.dlq", f"{name}.dlx", "")
    arguments = {
        "x-queue-type": "quorum",
        "x-delivery-limit": 1,
        "x-dead-letter-exchange": f"{name}.dlx",
    }
    channel.queue_declare(name, durable=True, arguments=arguments)
    connection.close()
    return name


def publish(broker: RabbitMQBroker, queue: str, bodies: list[bytes]) -> None:
    connection = broker.connect()
    channel = connection.channel()
    channel.confirm_delivery()
    for number, body in enumerate(bodies):
        properties = pika.BasicProperties(
            delivery_mode=2, message_id=f"m-{number}", headers={"n": number, "kind": "test"}
        )
        channel.basic_publish("", queue, body, properties)
    connection.close()


def depth(broker: RabbitMQBroker, queue: str) -> int:
    connection = broker.connect()
    try:
        return int(connection.channel().queue_declare(queue, passive=True).method.message_count)
    finally:
        connection.close()


class Function:
    def __init__(self, ok: bool = True) -> None:
        self.events: list[dict[str, Any]] = []
        self.ok = ok
        self.lock = threading.Lock()

    def __call__(self, function: str, event: dict[str, Any]) -> InvocationResult:
        with self.lock:
            self.events.append(event)
        if self.ok:
            return InvocationResult(ok=True, payload=None)
        return InvocationResult(ok=False, error_type="Boom", error_message="failed")

    def bodies(self) -> list[list[bytes]]:
        return [
            [base64.b64decode(m["data"]) for m in event["rmqMessagesByQueue"][key]]
            for event in self.events
            for key in event["rmqMessagesByQueue"]
        ]


def poller(
    broker: RabbitMQBroker, queue: str, function: Function, **settings: Any
) -> RabbitMQPoller:
    mapping = RabbitMQMapping(function="F", queue=queue, broker_arn=ARN, **settings)
    return RabbitMQPoller(mapping, function, url=broker.url)


def test_a_batch_reaches_the_function_in_the_rmq_shape_and_is_acknowledged(
    broker: RabbitMQBroker, queue: str
) -> None:
    publish(broker, queue, [b"one", b"two", b"three"])
    function = Function()
    running = poller(broker, queue, function, batch_size=10, batching_window_s=0.5)
    running.start()
    try:
        wait_until(lambda: sum(map(len, function.bodies())) == 3, timeout_s=10, what="3 messages")
    finally:
        running.stop()

    event = function.events[0]
    assert event["eventSource"] == "aws:rmq"
    assert event["eventSourceArn"] == ARN
    [message, *_] = event["rmqMessagesByQueue"][f"{queue}::/"]
    properties = message["basicProperties"]
    assert properties["deliveryMode"] == 2
    assert properties["messageId"] == "m-0"
    assert properties["headers"] == {"n": 0, "kind": {"bytes": list(b"test")}}
    assert properties["bodySize"] == 3
    assert message["redelivered"] is False
    assert [b for batch in function.bodies() for b in batch] == [b"one", b"two", b"three"]
    assert depth(broker, queue) == 0


def test_batch_size_bounds_each_invocation(broker: RabbitMQBroker, queue: str) -> None:
    publish(broker, queue, [str(n).encode() for n in range(5)])
    function = Function()
    running = poller(broker, queue, function, batch_size=2, batching_window_s=0.2)
    running.start()
    try:
        wait_until(lambda: sum(map(len, function.bodies())) == 5, timeout_s=10, what="5 messages")
    finally:
        running.stop()

    assert max(map(len, function.bodies())) == 2


def test_a_failed_batch_comes_back_whole_then_goes_to_the_dead_letter_queue(
    broker: RabbitMQBroker, queue: str
) -> None:
    publish(broker, queue, [b"a", b"b"])
    function = Function(ok=False)
    running = poller(broker, queue, function, batch_size=10, batching_window_s=0.3)
    running.start()
    try:
        wait_until(lambda: depth(broker, f"{queue}.dlq") == 2, timeout_s=20, what="dead letters")
    finally:
        running.stop()

    assert function.bodies()[:2] == [[b"a", b"b"], [b"a", b"b"]]
    redelivered = function.events[1]["rmqMessagesByQueue"][f"{queue}::/"]
    assert all(message["redelivered"] for message in redelivered)
    assert depth(broker, queue) == 0


def test_a_broker_that_does_not_answer_is_named_within_seconds() -> None:
    address = f"127.0.0.1:{free_port()}"
    started = time.monotonic()

    with pytest.raises(RabbitMQBrokerUnreachable, match=f"The RabbitMQ broker at {address}"):
        check_broker(f"amqp://user:secret@{address}/%2F")
    assert time.monotonic() - started < 5


def test_a_stopped_broker_leaves_no_process_and_no_data_behind() -> None:
    broker = start_local_broker("127.0.0.1", free_port())
    assert broker.process is not None and broker.epmd is not None and broker.home is not None
    processes, home = [broker.process.pid, broker.epmd.pid], broker.home

    broker.stop()

    for pid in processes:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not home.exists()
