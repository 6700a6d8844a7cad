"""The TopicAdmin of a real cluster: confluent-kafka's AdminClient, connected as the
event bus connects (the local broker's address, or the MSK cluster over SASL/IAM)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kafka_topics.topics import WantedTopic
from petstore_shared.events.kafka_bus import KafkaConnectionSettings, connection_config
from petstore_shared.settings import load_settings


class ConfluentTopicAdmin:
    def __init__(self, admin: Any, timeout_s: float) -> None:
        self._admin = admin
        self._timeout_s = timeout_s

    @classmethod
    def from_environment(cls, timeout_s: float) -> ConfluentTopicAdmin:
        from confluent_kafka.admin import AdminClient

        config = connection_config(load_settings(KafkaConnectionSettings))
        return cls(AdminClient(config), timeout_s)

    def partition_counts(self) -> dict[str, int]:
        metadata = self._admin.list_topics(timeout=self._timeout_s)
        return {name: len(topic.partitions) for name, topic in metadata.topics.items()}

    def create(self, topics: Sequence[WantedTopic]) -> None:
        from confluent_kafka.admin import NewTopic

        # No replication factor: the cluster's default (MSK Serverless allows only its own).
        new = [NewTopic(topic.name, num_partitions=topic.partitions) for topic in topics]
        _wait(
            self._admin.create_topics(new, operation_timeout=self._timeout_s),
            "TOPIC_ALREADY_EXISTS",
        )

    def grow(self, topics: Sequence[WantedTopic]) -> None:
        from confluent_kafka.admin import NewPartitions

        grown = [NewPartitions(topic.name, topic.partitions) for topic in topics]
        _wait(self._admin.create_partitions(grown, operation_timeout=self._timeout_s))


def _wait(futures: dict[str, Any], harmless: str = "") -> None:
    """Every operation's outcome; an error naming `harmless` (a concurrent twin's work) is
    not a failure."""
    for future in futures.values():
        try:
            future.result()
        except Exception as error:
            if not harmless or harmless not in str(error):
                raise
