"""The Kafka side of a template: AWS::MSK::ServerlessCluster and AWS::MSK::Cluster (the
local cloud's broker stands in for the cluster), AWS::MSK::Topic, and event source
mappings on Amazon MSK or self-managed Kafka.

Provisioning only describes them (the stack's Kafka part, see `kafka_stack_of`); the
local cloud then makes the topics on its broker and runs a poller per mapping.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from localcloud.cloudformation.intrinsics import ACCOUNT_ID, cfn_string
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)
from localcloud.event_sources import properties
from localcloud.event_sources.base import NewMapping
from localcloud.event_sources.kafka.mapping import (
    KAFKA_DESTINATION_PREFIX,
    KafkaMapping,
    KafkaStack,
    KafkaTopic,
)
from localcloud.model import Stack

SOURCE = "kafka"
MAPPING_PROPERTIES = frozenset(
    {
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "FunctionResponseTypes",
        "Enabled",
        "ScalingConfig",
        "DestinationConfig",
        "FilterCriteria",
        "StartingPosition",
        "MaximumRetryAttempts",
        "BisectBatchOnFunctionError",
        "Topics",
        "AmazonManagedKafkaEventSourceConfig",
        "SelfManagedEventSource",
        "SelfManagedKafkaEventSourceConfig",
        "SourceAccessConfigurations",
    }
)
"""The event source mapping properties a Kafka mapping reads."""
_CLUSTER_STANDS_IN = "the local cloud's Kafka broker stands in for the cluster"
_TAGS = "tags have no local effect"


def kafka_stack_of(stack: Stack) -> KafkaStack:
    """The Kafka resources provisioned with `stack` (none if the template has none)."""
    return stack.part_of(SOURCE, KafkaStack)


def claims(source_arn: str, mapping_properties: Mapping[str, Any]) -> bool:
    service = source_arn.split(":")[2] if source_arn.count(":") >= 5 else ""
    return service == "kafka" or "SelfManagedEventSource" in mapping_properties


def create_cluster(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = resource.physical_name(context.stack.name, "ClusterName")
    cluster_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{context.stack.name}/{resource.logical_id}")
    arn = f"{_kafka_arn_prefix(context)}:cluster/{name}/{cluster_id}-s1"
    kafka_stack_of(context.stack).clusters.append(arn)
    return Provisioned(ref=arn, attributes={"Arn": arn})


def create_topic(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = cfn_string(resource.properties.get("TopicName", ""))
    if not name:
        raise resource.error("property TopicName is required")
    partitions = resource.integer("PartitionCount", 1) or 1
    if partitions < 1:
        raise resource.error(f"property PartitionCount: {partitions} is not at least 1")
    topics = kafka_stack_of(context.stack).topics
    if name in topics:
        raise resource.error(f"topic {name!r} is declared twice")
    topics[name] = KafkaTopic(name, partitions)
    cluster = cfn_string(resource.properties.get("ClusterArn", ""))
    _, _, cluster_path = cluster.partition(":cluster/")
    arn = f"{_kafka_arn_prefix(context)}:topic/{cluster_path}/{name}"
    return Provisioned(ref=arn, attributes={"TopicArn": arn})


def _kafka_arn_prefix(context: ProvisionContext) -> str:
    partition = context.resolver.pseudo["AWS::Partition"]
    return f"arn:{partition}:kafka:{context.stack.region}:{ACCOUNT_ID}"


def add_mapping(resource: Resource, context: ProvisionContext, new: NewMapping) -> None:
    """An event source mapping on Kafka, read from the local broker; Lambda's defaults
    for what the template leaves out (the consumer group is the mapping's id)."""
    self_managed = "SelfManagedEventSource" in resource.properties
    for ignored, reason in (
        ("SelfManagedEventSource", "its records are read from the local cloud's broker"),
        ("SourceAccessConfigurations", "the local broker needs no authentication"),
        ("ScalingConfig", "Kafka pollers are not scaled locally"),
    ):
        if ignored in resource.properties:
            context.ignore(f"{resource.label}: property {ignored}", reason)
    mapping = KafkaMapping(
        function=new.function,
        topic=_single_topic(resource),
        consumer_group=_consumer_group(resource, self_managed) or new.mapping_id,
        event_source="SelfManagedKafka" if self_managed else "aws:kafka",
        event_source_arn="" if self_managed else new.source_arn,
        batch_size=resource.integer("BatchSize", 100) or 100,
        batching_window_s=properties.batching_window_s(resource, default=0.5),
        starting_position=properties.starting_position(resource),
        maximum_retry_attempts=properties.integer_or(resource, "MaximumRetryAttempts", -1),
        bisect_batch_on_error=resource.flag("BisectBatchOnFunctionError"),
        report_batch_item_failures=properties.reports_item_failures(resource),
        on_failure_topic=_on_failure_topic(resource, context),
        filters=properties.filters(resource, new.function),
        enabled=resource.flag("Enabled", True),
    )
    if mapping.on_failure_topic == mapping.topic:
        raise resource.error("the on-failure topic is the topic the mapping reads")
    kafka_stack_of(context.stack).mappings.append(mapping)


def _single_topic(resource: Resource) -> str:
    topics = resource.properties.get("Topics")
    if not isinstance(topics, list) or len(topics) != 1:
        raise resource.error("property Topics: a Kafka event source reads exactly one topic")
    return cfn_string(topics[0])


def _consumer_group(resource: Resource, self_managed: bool) -> str:
    name = "SelfManaged" if self_managed else "AmazonManaged"
    name += "KafkaEventSourceConfig"
    config = resource.properties.get(name) or {}
    unknown = sorted(set(config) - {"ConsumerGroupId"})
    if unknown:
        raise resource.error(f"property {name}: {', '.join(unknown)} not supported locally")
    return cfn_string(config.get("ConsumerGroupId", ""))


def _on_failure_topic(resource: Resource, context: ProvisionContext) -> str | None:
    config = resource.properties.get("DestinationConfig") or {}
    destination = cfn_string((config.get("OnFailure") or {}).get("Destination", ""))
    if not destination:
        return None
    if destination.startswith(KAFKA_DESTINATION_PREFIX):
        return destination.removeprefix(KAFKA_DESTINATION_PREFIX)
    context.ignore(
        f"{resource.label}: property DestinationConfig",
        "only Kafka topics (kafka://) receive a Kafka mapping's failed records locally",
    )
    return None


_CLUSTER_IGNORED = {
    "ClientAuthentication": "the local broker takes connections without authentication",
    "VpcConfigs": "no VPCs locally",
    "Tags": _TAGS,
    "KafkaVersion": _CLUSTER_STANDS_IN,
    "NumberOfBrokerNodes": _CLUSTER_STANDS_IN,
    "BrokerNodeGroupInfo": _CLUSTER_STANDS_IN,
    "EncryptionInfo": "the local broker does not encrypt",
    "ConfigurationInfo": _CLUSTER_STANDS_IN,
    "EnhancedMonitoring": "no cluster metrics locally",
    "OpenMonitoring": "no cluster metrics locally",
    "LoggingInfo": "broker logs stay with the local broker",
    "StorageMode": _CLUSTER_STANDS_IN,
}

KINDS = {
    "AWS::MSK::ServerlessCluster": ResourceKind(
        create=create_cluster,
        properties=frozenset({"ClusterName"}),
        ignored_properties=_CLUSTER_IGNORED,
    ),
    "AWS::MSK::Cluster": ResourceKind(
        create=create_cluster,
        properties=frozenset({"ClusterName"}),
        ignored_properties=_CLUSTER_IGNORED,
    ),
    "AWS::MSK::Topic": ResourceKind(
        create=create_topic,
        properties=frozenset({"ClusterArn", "TopicName", "PartitionCount"}),
        ignored_properties={
            "ReplicationFactor": "one local broker holds every partition",
            "Configs": "topics keep the local broker's default settings",
        },
    ),
}
