"""The local cloud's RabbitMQ side: the broker, booting from the moment the template is
read when it has an Amazon MQ for RabbitMQ broker (otherwise started when a provisioned
stack first has RabbitMQ resources); its queues emptied on every reset; a poller per MQ
mapping."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from localcloud.event_sources.base import Poller, PollerContext
from localcloud.event_sources.rabbitmq.broker import (
    READY_TIMEOUT_S,
    RabbitMQBroker,
    start_rabbitmq_broker,
)
from localcloud.event_sources.rabbitmq.poller import RabbitMQPoller
from localcloud.event_sources.rabbitmq.provisioning import rabbitmq_stack_of
from localcloud.model import Stack

URL_VARIABLE = "RABBITMQ_URL"


class LocalRabbitMQ:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.broker: RabbitMQBroker | None = None
        self._booting: Future[RabbitMQBroker] | None = None
        self._prepared = False

    def launch_early(self, resources: Mapping[str, Any]) -> None:
        """A template with an Amazon MQ broker of the RabbitMQ engine has its broker booting
        (6-8 s) beside the emulator's boot and the provisioning, rather than from the
        moment provisioning reaches the first resource that needs it."""
        if self.broker is not None or self._booting is not None:
            return
        if not any(_is_rabbitmq_broker(resource) for resource in resources.values()):
            return
        booting: Future[RabbitMQBroker] = Future()

        def boot() -> None:
            try:
                booting.set_result(start_rabbitmq_broker(self.host, self.port))
            except BaseException as error:
                booting.set_exception(error)

        self._booting = booting
        threading.Thread(target=boot, name="rabbitmq-boot", daemon=True).start()

    def start_for(self, stack: Stack) -> None:
        """The broker runs once the stack (so far) has RabbitMQ resources: a custom
        resource's function may declare its queues while the stack is being provisioned."""
        rabbitmq = rabbitmq_stack_of(stack)
        if not rabbitmq.in_use:
            return
        if self.broker is None:
            self.broker = self._booted() or start_rabbitmq_broker(self.host, self.port)
        rabbitmq.broker = self.broker

    def _booted(self) -> RabbitMQBroker | None:
        """The broker `launch_early` started, once it is ready (its failure raised here)."""
        booting, self._booting = self._booting, None
        return booting.result() if booting is not None else None

    def prepare(self, stack: Stack) -> None:
        """The first time, what the broker holds is kept (an external broker may serve
        others). Every time after (a reset) the stack's queues are emptied, as in a new
        deployment: every queue of the mappings' virtual hosts on the local broker (the
        dead-letter queues too), only the mappings' own queues on an external one."""
        rabbitmq = rabbitmq_stack_of(stack)
        if not rabbitmq.in_use:
            return
        self.start_for(stack)
        assert self.broker is not None
        if not self._prepared:
            self._prepared = True
            return
        queues = {(mapping.queue, mapping.virtual_host) for mapping in rabbitmq.mappings}
        for vhost in rabbitmq.virtual_hosts():
            queues |= {(name, vhost) for name in self.broker.queue_names(vhost)}
        self.broker.purge(sorted(queues))

    def environment(self) -> dict[str, str]:
        """What the functions need to reach the broker (the bus and the topology read it)."""
        if self.broker is None:
            return {}
        return {URL_VARIABLE: self.broker.url}

    def pollers(self, stack: Stack, context: PollerContext, function: str | None) -> list[Poller]:
        if self.broker is None:
            return []
        return [
            RabbitMQPoller(mapping, context.invoke, url=self.broker.url)
            for mapping in rabbitmq_stack_of(stack).mappings
            if mapping.enabled and function in (None, mapping.function)
        ]

    def endpoints(self) -> dict[str, str]:
        if self.broker is None:
            return {}
        return {"RabbitMQ": self.broker.address}

    def stop(self) -> None:
        if self._booting is not None:
            # Launched early and never needed (the start failed first): stopped all the same.
            booting, self._booting = self._booting, None
            with contextlib.suppress(Exception):  # it never started: nothing to stop
                self.broker = booting.result(timeout=READY_TIMEOUT_S)
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        self._prepared = False


def _is_rabbitmq_broker(resource: Any) -> bool:
    if not isinstance(resource, dict) or resource.get("Type") != "AWS::AmazonMQ::Broker":
        return False
    engine = (resource.get("Properties") or {}).get("EngineType")
    return isinstance(engine, str) and engine.upper() == "RABBITMQ"
