"""What the local cloud knows about a stack's RabbitMQ side: its Amazon MQ brokers and
the MQ event source mappings that read their queues, beside `localcloud.model`'s Stack."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from localcloud.event_sources.rabbitmq.broker import RabbitMQBroker

DEFAULT_BATCH_SIZE = 100
DEFAULT_BATCHING_WINDOW_S = 0.5
"""Lambda's default MaximumBatchingWindowInSeconds for Amazon MQ is 500 ms."""


@dataclass(frozen=True)
class RabbitMQMapping:
    function: str
    """Logical id of the function the mapping invokes."""
    queue: str
    virtual_host: str = "/"
    broker_arn: str = ""
    batch_size: int = DEFAULT_BATCH_SIZE
    batching_window_s: float = DEFAULT_BATCHING_WINDOW_S
    enabled: bool = True

    @property
    def queue_key(self) -> str:
        """`queue::vhost`, as Lambda keys a queue's messages in the event."""
        return f"{self.queue}::{self.virtual_host}"


@dataclass
class RabbitMQStack:
    """The RabbitMQ resources of one provisioned stack."""

    brokers: list[str] = field(default_factory=list)
    """The ARNs of the template's Amazon MQ brokers (the local broker stands in for each)."""
    mappings: list[RabbitMQMapping] = field(default_factory=list)
    broker: RabbitMQBroker | None = None
    """The broker that stands in for the stack's, once it runs."""

    @property
    def in_use(self) -> bool:
        return bool(self.brokers or self.mappings)

    def virtual_hosts(self) -> list[str]:
        return sorted({mapping.virtual_host for mapping in self.mappings} or {"/"})
