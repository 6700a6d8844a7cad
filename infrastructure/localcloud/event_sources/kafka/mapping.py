"""What the local cloud knows about a stack's Kafka side: its topics and its Kafka event
source mappings (Amazon MSK or self-managed Kafka), beside `localcloud.model`'s Stack."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

KafkaEventSource = Literal["aws:kafka", "SelfManagedKafka"]
StartingPosition = Literal["TRIM_HORIZON", "LATEST"]
KAFKA_DESTINATION_PREFIX = "kafka://"
DEFAULT_RETRIES_WITH_DESTINATION = 10
"""Lambda's cap on "retry forever" once an on-failure destination is set."""


@dataclass(frozen=True)
class KafkaTopic:
    name: str
    partitions: int = 1


@dataclass(frozen=True)
class KafkaMapping:
    function: str
    """Logical id of the function the mapping invokes."""
    topic: str
    consumer_group: str
    event_source: KafkaEventSource = "aws:kafka"
    event_source_arn: str = ""
    """The MSK cluster's ARN; empty for self-managed Kafka."""
    batch_size: int = 100
    batching_window_s: float = 0.5
    """Lambda's default for Kafka sources is 500 ms."""
    starting_position: StartingPosition = "LATEST"
    maximum_retry_attempts: int = -1
    """-1 retries until the record succeeds (10 times when there is a destination)."""
    bisect_batch_on_error: bool = False
    report_batch_item_failures: bool = False
    on_failure_topic: str | None = None
    """The Kafka topic of a `kafka://` on-failure destination."""
    filters: tuple[dict[str, Any], ...] = field(default=())
    """Event filtering patterns; a record is delivered if any matches (or there are none)."""
    enabled: bool = True

    @property
    def retry_limit(self) -> int:
        """Retries after the first attempt; -1 for no limit."""
        if self.maximum_retry_attempts < 0 and self.on_failure_topic:
            return DEFAULT_RETRIES_WITH_DESTINATION
        return self.maximum_retry_attempts


@dataclass
class KafkaStack:
    """The Kafka resources of one provisioned stack."""

    topics: dict[str, KafkaTopic] = field(default_factory=dict)
    mappings: list[KafkaMapping] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    """The ARNs of the template's MSK clusters (the broker stands in for each)."""
    bootstrap_servers: str = ""
    """The broker that stands in for the stack's cluster, once it runs."""

    @property
    def in_use(self) -> bool:
        return bool(self.topics or self.mappings or self.clusters)

    def all_topics(self) -> list[KafkaTopic]:
        """The template's topics, and the topics its mappings read or fail to that the
        template does not declare (one partition, as a broker's auto-creation makes them)."""
        named = dict(self.topics)
        for mapping in self.mappings:
            for name in (mapping.topic, mapping.on_failure_topic):
                if name and name not in named:
                    named[name] = KafkaTopic(name)
        return sorted(named.values(), key=lambda topic: topic.name)
