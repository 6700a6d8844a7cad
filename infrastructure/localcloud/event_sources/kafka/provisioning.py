"""The Kafka side of a template: AWS::MSK::ServerlessCluster and AWS::MSK::Cluster (the
local cloud's broker stands in for the cluster), AWS::MSK::Topic, and event source
mappings on Amazon MSK or self-managed Kafka.

Provisioning only describes them (a `KafkaStack` beside the Stack, see
`kafka_stack_of`); the local cloud then makes the topics on its broker and runs a
poller per mapping.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Mapping
from typing import Any

from localcloud.cloudformation.intrinsics import ACCOUNT_ID, cfn_string
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)
from localcloud.event_sources.filtering import UnsupportedFilter, parse_patterns
from localcloud.event_sources.kafka.mapping import (
    KAFKA_DESTINATION_PREFIX,
    KafkaMapping,
    KafkaStack,
    KafkaTopic,
    StartingPosition,
)
from localcloud.model import Stack

KAFKA_ONLY_PROPERTIES = (
    "Topics",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedEventSource",
    "SelfManagedKafkaEventSourceConfig",
    "SourceAccessConfigurations",
    "FilterCriteria",
)
"""Event source mapping properties the local cloud reads for Kafka sources only."""
_STARTING_POSITIONS: tuple[StartingPosition, ...] = ("TRIM_HORIZON", "LATEST")
_CLUSTER_STANDS_IN = "the local cloud's Kafka broker stands in for the cluster"
_TAGS = "tags have no local effect"

_stacks: dict[int, KafkaStack] = {}
_stacks_lock = threading.Lock()


def kafka_stack_of(stack: Stack) -> KafkaStack:
    """The Kafka resources provisioned with `stack` (none if the template has none). Kept
    beside the Stack, for as long as it lives, rather than in the shared stack model."""
    key = id(stack)
    with _stacks_lock:
        if key not in _stacks:
            _stacks[key] = KafkaStack()
            weakref.finalize(stack, _forget, key)
        return _stacks[key]


def _forget(key: int) -> None:
    with _stacks_lock:
        _stacks.pop(key, None)


def is_kafka_event_source(properties: Mapping[str, Any]) -> bool:
    source = cfn_string(properties.get("EventSourceArn", ""))
    service = source.split(":")[2] if source.count(":") >= 5 else ""
    return service == "kafka" or "SelfManagedEventSource" in properties


def create_cluster(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = resource.physical_name(context.stack.name, "ClusterName")
    cluster_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{context.stack.name}/{resource.logical_id}")
    arn = f"{_kafka_arn_prefix(context)}:cluster/{name}/{cluster_id}-s1"
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


def add_kafka_mapping(
    resource: Resource, context: ProvisionContext, function: str, mapping_id: str
) -> None:
    """An event source mapping on Kafka, read from the local broker; Lambda's defaults
    for what the template leaves out (the consumer group is the mapping's id)."""
    properties = resource.properties
    self_managed = "SelfManagedEventSource" in properties
    for ignored, reason in (
        ("SelfManagedEventSource", "its records are read from the local cloud's broker"),
        ("SourceAccessConfigurations", "the local broker needs no authentication"),
        ("ScalingConfig", "Kafka pollers are not scaled locally"),
    ):
        if ignored in properties:
            context.ignore(f"{resource.label}: property {ignored}", reason)
    kafka_source = cfn_string(properties.get("EventSourceArn", "")) if not self_managed else ""
    mapping = KafkaMapping(
        function=function,
        topic=_single_topic(resource),
        consumer_group=_consumer_group(resource, self_managed) or mapping_id,
        event_source="SelfManagedKafka" if self_managed else "aws:kafka",
        event_source_arn=kafka_source,
        batch_size=resource.integer("BatchSize", 100) or 100,
        batching_window_s=float(_integer_or(resource, "MaximumBatchingWindowInSeconds", 0.5)),
        starting_position=_starting_position(resource),
        maximum_retry_attempts=int(_integer_or(resource, "MaximumRetryAttempts", -1)),
        bisect_batch_on_error=resource.flag("BisectBatchOnFunctionError"),
        report_batch_item_failures=_reports_item_failures(resource),
        on_failure_topic=_on_failure_topic(resource, context),
        filters=_filters(resource),
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


def _integer_or(resource: Resource, name: str, default: float) -> float:
    if name not in resource.properties:
        return default
    value = resource.integer(name)
    return default if value is None else value


def _starting_position(resource: Resource) -> StartingPosition:
    position = resource.properties.get("StartingPosition", "LATEST")
    for known in _STARTING_POSITIONS:
        if position == known:
            return known
    raise resource.error(
        f"property StartingPosition: {position!r} is not supported locally "
        f"(use {' or '.join(_STARTING_POSITIONS)})"
    )


def _reports_item_failures(resource: Resource) -> bool:
    types: Any = resource.properties.get("FunctionResponseTypes") or []
    unknown = [kind for kind in types if kind != "ReportBatchItemFailures"]
    if unknown:
        raise resource.error(f"property FunctionResponseTypes: {unknown} not supported locally")
    return bool(types)


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


def _filters(resource: Resource) -> tuple[dict[str, Any], ...]:
    try:
        return parse_patterns(resource.properties.get("FilterCriteria"))
    except UnsupportedFilter as error:
        raise resource.error(f"property FilterCriteria: {error}") from None


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
