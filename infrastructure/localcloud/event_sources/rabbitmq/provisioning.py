"""The RabbitMQ side of a template: AWS::AmazonMQ::Broker with the RABBITMQ engine (the
local cloud's RabbitMQ broker stands in for it) and the `MQ` event source mappings that
read its queues.

Provisioning only describes them (the stack's RabbitMQ part, see `rabbitmq_stack_of`);
what the queues are is the broker's business (on AWS as locally, a custom resource or an
operator declares them), and the local cloud runs a poller per mapping.
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
from localcloud.event_sources.rabbitmq.mapping import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_BATCHING_WINDOW_S,
    RabbitMQMapping,
    RabbitMQStack,
)
from localcloud.model import Stack

SOURCE = "rabbitmq"
MAX_BATCH_SIZE = 10_000
MAPPING_PROPERTIES = frozenset(
    {
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "Enabled",
        "Queues",
        "SourceAccessConfigurations",
    }
)
"""The event source mapping properties an Amazon MQ mapping reads."""
ACCESS_TYPES = frozenset({"BASIC_AUTH", "VIRTUAL_HOST"})
_BROKER_STANDS_IN = "the local cloud's RabbitMQ broker stands in for the broker"


def rabbitmq_stack_of(stack: Stack) -> RabbitMQStack:
    """The RabbitMQ resources provisioned with `stack` (none if the template has none)."""
    return stack.part_of(SOURCE, RabbitMQStack)


def claims(source_arn: str, mapping_properties: Mapping[str, Any]) -> bool:
    return source_arn.count(":") >= 5 and source_arn.split(":")[2] == "mq"


def create_broker(resource: Resource, context: ProvisionContext) -> Provisioned:
    engine = cfn_string(resource.properties.get("EngineType", "")).upper()
    if engine != "RABBITMQ":
        raise resource.error(
            f"property EngineType: {engine or 'none'} is not run locally (only RABBITMQ is)"
        )
    name = resource.physical_name(context.stack.name, "BrokerName")
    broker_id = f"b-{uuid.uuid5(uuid.NAMESPACE_URL, f'{context.stack.name}/{resource.logical_id}')}"
    partition = context.resolver.pseudo["AWS::Partition"]
    region = context.stack.region
    arn = f"arn:{partition}:mq:{region}:{ACCOUNT_ID}:broker:{name}:{broker_id}"
    rabbitmq_stack_of(context.stack).brokers.append(arn)
    host = f"{broker_id}.mq.{region}.amazonaws.com"
    return Provisioned(
        ref=broker_id,
        attributes={
            "Arn": arn,
            "Id": broker_id,
            "AmqpEndpoints": [f"amqps://{host}:5671"],
            "ConsoleURLs": [f"https://{host}"],
        },
    )


def add_mapping(resource: Resource, context: ProvisionContext, new: NewMapping) -> None:
    """An event source mapping on a queue of the broker, read from the local broker;
    Lambda's defaults for what the template leaves out."""
    batch_size = resource.integer("BatchSize", DEFAULT_BATCH_SIZE) or DEFAULT_BATCH_SIZE
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise resource.error(f"property BatchSize: {batch_size} is not within 1-{MAX_BATCH_SIZE}")
    mapping = RabbitMQMapping(
        function=new.function,
        queue=_single_queue(resource),
        virtual_host=_virtual_host(resource, context),
        broker_arn=new.source_arn,
        batch_size=batch_size,
        batching_window_s=properties.batching_window_s(resource, default=DEFAULT_BATCHING_WINDOW_S),
        enabled=resource.flag("Enabled", True),
    )
    rabbitmq_stack_of(context.stack).mappings.append(mapping)


def _single_queue(resource: Resource) -> str:
    queues = resource.properties.get("Queues")
    if not isinstance(queues, list) or len(queues) != 1 or not cfn_string(queues[0]):
        raise resource.error("property Queues: an Amazon MQ event source reads exactly one queue")
    return cfn_string(queues[0])


def _virtual_host(resource: Resource, context: ProvisionContext) -> str:
    """The VIRTUAL_HOST access configuration's, else "/"; BASIC_AUTH's secret is Amazon
    MQ's business: the local broker takes the local cloud's own user."""
    configurations = resource.properties.get("SourceAccessConfigurations") or []
    if not isinstance(configurations, list):
        raise resource.error("property SourceAccessConfigurations is not a list")
    virtual_host = "/"
    for configuration in configurations:
        kind = cfn_string((configuration or {}).get("Type", ""))
        if kind not in ACCESS_TYPES:
            raise resource.error(
                f"property SourceAccessConfigurations: type {kind or 'none'} is not one of "
                f"{', '.join(sorted(ACCESS_TYPES))}"
            )
        if kind == "VIRTUAL_HOST":
            virtual_host = cfn_string(configuration.get("URI", "")) or "/"
    if any(cfn_string((c or {}).get("Type", "")) == "BASIC_AUTH" for c in configurations):
        context.ignore(
            f"{resource.label}: SourceAccessConfigurations BASIC_AUTH",
            "the local broker is read with the local cloud's own user",
        )
    return virtual_host


KINDS = {
    "AWS::AmazonMQ::Broker": ResourceKind(
        create=create_broker,
        properties=frozenset({"BrokerName", "EngineType"}),
        ignored_properties={
            "EngineVersion": _BROKER_STANDS_IN,
            "HostInstanceType": _BROKER_STANDS_IN,
            "DeploymentMode": _BROKER_STANDS_IN,
            "PubliclyAccessible": "the local broker listens on the local cloud's host",
            "AutoMinorVersionUpgrade": _BROKER_STANDS_IN,
            "Users": "the local broker has the local cloud's own user",
            "Logs": "broker logs stay with the local broker",
            "MaintenanceWindowStartTime": _BROKER_STANDS_IN,
            "SubnetIds": "no VPCs locally",
            "SecurityGroups": "no VPCs locally",
            "EncryptionOptions": "the local broker does not encrypt",
            "Configuration": _BROKER_STANDS_IN,
            "Tags": "tags have no local effect",
        },
    ),
}
