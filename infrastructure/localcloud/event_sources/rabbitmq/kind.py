"""Amazon MQ for RabbitMQ event source mappings as the registry lists them."""

from localcloud.event_sources.base import EventSourceKind
from localcloud.event_sources.rabbitmq.metrics import RabbitMQMetricsSampler
from localcloud.event_sources.rabbitmq.provisioning import (
    KINDS,
    MAPPING_PROPERTIES,
    SOURCE,
    add_mapping,
    claims,
    rabbitmq_stack_of,
)
from localcloud.event_sources.rabbitmq.runtime import LocalRabbitMQ

DEFAULT_PORT = 5672
"""The local broker's, unless the local cloud is told another (`ports["rabbitmq"]`)."""

KIND = EventSourceKind(
    name=SOURCE,
    claims=claims,
    add_mapping=add_mapping,
    mapping_properties=MAPPING_PROPERTIES,
    runtime=lambda settings: LocalRabbitMQ(settings.host, settings.ports.get(SOURCE, DEFAULT_PORT)),
    resource_kinds=KINDS,
    metrics=lambda stack: RabbitMQMetricsSampler(rabbitmq_stack_of(stack)),
)
