"""Amazon MQ for RabbitMQ event source mappings as Lambda runs them: the messages of a
queue, handed to the function in Lambda's `aws:rmq` event shape.

One consumer per mapping (Lambda gives a RabbitMQ mapping one execution environment at
a time, its documented concurrency limit), with a prefetch of BatchSize, gathers a batch
(up to BatchSize messages, for up to MaximumBatchingWindowInSeconds once the first
arrived) and invokes the function.
An MQ mapping has no partial batch response: when the function succeeds, the whole
batch is acknowledged; when it fails, the whole batch is returned to the queue
(`basic.nack` with requeue), delivered again (`redelivered` set) and counted by the
broker. A queue's own delivery limit and dead-letter exchange (a quorum queue's
`x-delivery-limit`) end a message that keeps failing in its dead-letter queue. Nothing
is lost: unacknowledged messages of a poller that stops or loses its connection go
back to the queue.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from localcloud.event_sources.base import Invoke, Outage, Poller, invoke_safely
from localcloud.event_sources.batching import BatchPolicy, gather
from localcloud.event_sources.rabbitmq.broker import connect, with_vhost
from localcloud.event_sources.rabbitmq.events import RabbitMQMessage, event_message, rmq_event
from localcloud.event_sources.rabbitmq.mapping import RabbitMQMapping

logger = logging.getLogger(__name__)

POLL_TIMEOUT_S = 0.2
"""How long a poller waits for a first message: `stop()` is honoured within about that."""
MORE_WAIT_S = 0.2
RETRY_BACKOFF_S = 0.5
MAX_RETRY_BACKOFF_S = 4.0
"""Between a failed batch and the next read: 0.5, 1, 2, 4 s... (the batch is back in
the queue meanwhile), so a consumer that fails because another has not caught up yet
gets time before the queue's delivery limit is spent."""


class RabbitMQPoller(Poller):
    """Runs one Amazon MQ event source mapping: one consumer of its queue."""

    def __init__(self, mapping: RabbitMQMapping, invoke: Invoke, *, url: str) -> None:
        super().__init__(mapping, f"rmq-poller-{mapping.function}")
        self.mapping: RabbitMQMapping = mapping
        self._invoke = invoke
        self.url = with_vhost(url, mapping.virtual_host)
        self.batch_policy = BatchPolicy(mapping.batch_size, mapping.batching_window_s)
        self._outage = Outage(f"RabbitMQ poller {mapping.function} <- {mapping.queue_key}")
        self._failures = 0

    def _loops(self) -> list[Callable[[], None]]:
        return [self._run]

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._consume()
                self._outage.recovered()
            except Exception as error:
                self.stopping.wait(self._outage.failed(error))

    def _consume(self) -> None:
        connection = connect(self.url, timeout_s=3.0)
        try:
            channel = connection.channel()
            channel.basic_qos(prefetch_count=self.mapping.batch_size)
            arrived: deque[RabbitMQMessage] = deque()
            channel.basic_consume(
                self.mapping.queue,
                lambda _channel, method, properties, body: arrived.append(
                    RabbitMQMessage.from_delivery(method, properties, body)
                ),
            )

            def read(limit: int, wait_s: float) -> list[RabbitMQMessage]:
                if not arrived:
                    connection.process_data_events(time_limit=wait_s)
                return [arrived.popleft() for _ in range(min(limit, len(arrived)))]

            while not self.stopping.is_set():
                batch = gather(
                    read,
                    self.batch_policy,
                    self.stopping,
                    first_wait_s=POLL_TIMEOUT_S,
                    more_wait_s=MORE_WAIT_S,
                    size_of=_size_of,
                )
                # Returned to the queue at once: they reached no function.
                arrived.extendleft(reversed(batch.overflow))
                if batch.records:
                    self._settle(channel, batch.records, self._deliver(batch.records))
        finally:
            if connection.is_open:
                # What is still unacknowledged goes back to the queue.
                connection.close()

    def _deliver(self, messages: list[RabbitMQMessage]) -> bool:
        result = invoke_safely(
            self._invoke, self.mapping.function, rmq_event(messages, self.mapping)
        )
        if result.ok:
            self._failures = 0
            return True
        self._failures += 1
        logger.warning(
            "%s: RabbitMQ batch of %d messages from %s failed (%s: %s); returned to the queue",
            self.mapping.function,
            len(messages),
            self.mapping.queue_key,
            result.error_type,
            result.error_message,
        )
        return False

    def _settle(self, channel: Any, messages: list[RabbitMQMessage], succeeded: bool) -> None:
        last = max(message.delivery_tag for message in messages)
        if succeeded:
            channel.basic_ack(delivery_tag=last, multiple=True)
            return
        channel.basic_nack(delivery_tag=last, multiple=True, requeue=True)
        backoff = min(MAX_RETRY_BACKOFF_S, RETRY_BACKOFF_S * 2 ** (self._failures - 1))
        self.stopping.wait(backoff)


def _size_of(message: RabbitMQMessage) -> int:
    return len(json.dumps(event_message(message), default=str))
