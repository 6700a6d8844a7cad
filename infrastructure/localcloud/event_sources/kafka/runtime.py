"""The local cloud's Kafka side: the broker, started when a provisioned stack first has
Kafka resources; the stack's topics, made if missing at start and made empty again on
every reset; and a poller per Kafka event source mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localcloud.event_sources.base import Poller, PollerContext
from localcloud.event_sources.kafka.broker import KafkaBroker, start_kafka_broker
from localcloud.event_sources.kafka.poller import KafkaPoller
from localcloud.event_sources.kafka.provisioning import kafka_stack_of
from localcloud.model import Stack


class LocalKafka:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.broker: KafkaBroker | None = None
        self._prepared = False

    def launch_early(self, resources: Mapping[str, Any]) -> None:
        """Nothing: the local Kafka broker is up in well under a second."""

    def start_for(self, stack: Stack) -> None:
        """The broker runs once the stack (so far) has Kafka resources: a custom resource's
        function may reach it while the stack is still being provisioned."""
        kafka = kafka_stack_of(stack)
        if not kafka.in_use:
            return
        if self.broker is None:
            self.broker = start_kafka_broker(self.host, self.port)
        kafka.bootstrap_servers = self.broker.bootstrap_servers

    def prepare(self, stack: Stack) -> None:
        """The stack's topics exist. The first time (the broker is started then, unless an
        external one is used, or a custom resource's function needed it already) what a
        broker already holds is kept: another local cloud may be using it, and functions
        may have made topics. Every time after (a reset) the topics are made empty again
        and the consumer groups forgotten, as in a new deployment."""
        kafka = kafka_stack_of(stack)
        if not kafka.in_use:
            return
        self.start_for(stack)
        assert self.broker is not None
        if not self._prepared:
            self.broker.create_missing_topics(kafka.all_topics())
            self._prepared = True
            return
        self.broker.forget_groups(mapping.consumer_group for mapping in kafka.mappings)
        self.broker.recreate_topics(kafka.all_topics())

    def environment(self) -> dict[str, str]:
        """What the functions need to reach the broker (the bus reads it)."""
        if self.broker is None:
            return {}
        return {"KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers}

    def pollers(self, stack: Stack, context: PollerContext, function: str | None) -> list[Poller]:
        """A poller for every enabled mapping, or for those that feed `function`."""
        if self.broker is None:
            return []
        return [
            KafkaPoller(mapping, context.invoke, bootstrap_servers=self.broker.bootstrap_servers)
            for mapping in kafka_stack_of(stack).mappings
            if mapping.enabled and function in (None, mapping.function)
        ]

    def endpoints(self) -> dict[str, str]:
        """What the console shows: the broker's address, once it runs."""
        if self.broker is None:
            return {}
        return {"Kafka broker": self.broker.bootstrap_servers}

    def stop(self) -> None:
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        self._prepared = False
