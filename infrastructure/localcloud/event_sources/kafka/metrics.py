"""AWS/Kafka metrics of the local broker, as Amazon MSK publishes them for a cluster: the
consumer lag of every Kafka event source mapping's consumer group (SumOffsetLag,
MaxOffsetLag, EstimatedMaxTimeLag; dimensions Cluster Name, Consumer Group, Topic) and the
records written into every topic (MessagesInPerSec; dimensions Cluster Name, Topic), the
on-failure (dead-letter) topics among them.

MSK computes these on the brokers from committed offsets and log end offsets, sampled
periodically; so does this sampler, on the local cloud's monitoring cycle.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from localcloud.cloudwatch.metrics import MetricPoint, dimensions_of
from localcloud.event_sources.kafka.mapping import KafkaMapping, KafkaStack

NAMESPACE = "AWS/Kafka"
REQUEST_TIMEOUT_S = 5.0
PartitionKey = tuple[str, int]
"""(topic, partition)"""


@dataclass(frozen=True)
class PartitionLag:
    partition: int
    records: int
    seconds: float


def cluster_name(mapping: KafkaMapping) -> str:
    """The MSK cluster's name, from its ARN (arn:...:cluster/<name>/<uuid>); the local
    broker stands in for it."""
    _, _, path = mapping.event_source_arn.partition(":cluster/")
    return path.split("/", 1)[0]


class KafkaMetricsSampler:
    def __init__(self, kafka: KafkaStack) -> None:
        self._kafka = kafka
        self._admin: Any = None
        self._last_end_offsets: tuple[float, dict[PartitionKey, int]] | None = None
        self._lagging_since: dict[tuple[str, PartitionKey], tuple[int, float]] = {}

    def sample(self, at: datetime) -> list[MetricPoint]:
        """Nothing without a broker or an MSK mapping (a cluster to name the metrics by)."""
        clusters = {cluster_name(m) for m in self._kafka.mappings if m.event_source_arn}
        if not self._kafka.bootstrap_servers or len(clusters) != 1:
            return []
        cluster = clusters.pop()
        end_offsets = self._end_offsets()
        points = self._messages_in(cluster, end_offsets, at)
        for mapping in self._kafka.mappings:
            points += self._lag_points(cluster, mapping, end_offsets, at)
        return points

    def _messages_in(
        self, cluster: str, end_offsets: dict[PartitionKey, int], at: datetime
    ) -> list[MetricPoint]:
        """Records per second into each topic since the previous sample (none at the first
        sample: there is no rate yet)."""
        now, previous = time.monotonic(), self._last_end_offsets
        self._last_end_offsets = (now, end_offsets)
        if previous is None or now <= previous[0]:
            return []
        elapsed_s = now - previous[0]
        written: dict[str, int] = {}
        for key, end in end_offsets.items():
            before = previous[1].get(key, 0)
            # A topic made again (a reset) starts from offset 0.
            written[key[0]] = written.get(key[0], 0) + (end - before if end >= before else end)
        return [
            MetricPoint(
                NAMESPACE,
                "MessagesInPerSec",
                dimensions_of({"Cluster Name": cluster, "Topic": topic}),
                (count / elapsed_s,),
                "Count/Second",
                at,
            )
            for topic, count in sorted(written.items())
        ]

    def _lag_points(
        self,
        cluster: str,
        mapping: KafkaMapping,
        end_offsets: dict[PartitionKey, int],
        at: datetime,
    ) -> list[MetricPoint]:
        """None until the group has committed an offset, as MSK emits none before."""
        lags = self._partition_lags(mapping, end_offsets)
        if not lags:
            return []
        dimensions = dimensions_of(
            {
                "Cluster Name": cluster,
                "Consumer Group": mapping.consumer_group,
                "Topic": mapping.topic,
            }
        )
        values = {
            "SumOffsetLag": float(sum(lag.records for lag in lags)),
            "MaxOffsetLag": float(max(lag.records for lag in lags)),
            "EstimatedMaxTimeLag": max(lag.seconds for lag in lags),
        }
        unit = {"EstimatedMaxTimeLag": "Seconds"}
        return [
            MetricPoint(NAMESPACE, name, dimensions, (value,), unit.get(name, "Count"), at)
            for name, value in values.items()
        ]

    def _partition_lags(
        self, mapping: KafkaMapping, end_offsets: dict[PartitionKey, int]
    ) -> list[PartitionLag]:
        committed = self._committed_offsets(mapping)
        lags = []
        for partition, offset in committed.items():
            end = end_offsets.get((mapping.topic, partition))
            if end is None or offset < 0:
                continue
            records = max(0, end - offset)
            lags.append(
                PartitionLag(
                    partition, records, self._seconds_behind(mapping, partition, offset, records)
                )
            )
        return lags

    def _seconds_behind(
        self, mapping: KafkaMapping, partition: int, offset: int, records: int
    ) -> float:
        """How long the group has been behind on the partition without its committed offset
        moving: an estimate, as MSK's is (it reads no record's timestamp)."""
        key = (mapping.consumer_group, (mapping.topic, partition))
        if records == 0:
            self._lagging_since.pop(key, None)
            return 0.0
        since = self._lagging_since.get(key)
        if since is None or since[0] != offset:
            since = (offset, time.monotonic())
            self._lagging_since[key] = since
        return round(time.monotonic() - since[1], 3)

    def _end_offsets(self) -> dict[PartitionKey, int]:
        from confluent_kafka import TopicPartition
        from confluent_kafka.admin import OffsetSpec

        admin = self._admin_client()
        metadata = admin.list_topics(timeout=REQUEST_TIMEOUT_S)
        names = {topic.name for topic in self._kafka.all_topics()}
        requests = {
            TopicPartition(name, partition): OffsetSpec.latest()
            for name, topic in metadata.topics.items()
            if name in names and topic.error is None
            for partition in topic.partitions
        }
        if not requests:
            return {}
        futures = admin.list_offsets(requests, request_timeout=REQUEST_TIMEOUT_S)
        return {
            (key.topic, key.partition): int(future.result(REQUEST_TIMEOUT_S).offset)
            for key, future in futures.items()
        }

    def _committed_offsets(self, mapping: KafkaMapping) -> dict[int, int]:
        from confluent_kafka import ConsumerGroupTopicPartitions

        admin = self._admin_client()
        request = [ConsumerGroupTopicPartitions(mapping.consumer_group)]
        futures = admin.list_consumer_group_offsets(request, request_timeout=REQUEST_TIMEOUT_S)
        answer = futures[mapping.consumer_group].result(REQUEST_TIMEOUT_S)
        return {
            tp.partition: int(tp.offset)
            for tp in answer.topic_partitions or []
            if tp.topic == mapping.topic and tp.error is None
        }

    def _admin_client(self) -> Any:
        from confluent_kafka.admin import AdminClient

        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self._kafka.bootstrap_servers})
        return self._admin
