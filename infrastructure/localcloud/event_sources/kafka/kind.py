"""Kafka event source mappings as the registry lists them."""

from localcloud.event_sources.base import EventSourceKind
from localcloud.event_sources.kafka.metrics import KafkaMetricsSampler
from localcloud.event_sources.kafka.provisioning import (
    KINDS,
    MAPPING_PROPERTIES,
    SOURCE,
    add_mapping,
    claims,
    kafka_stack_of,
)
from localcloud.event_sources.kafka.runtime import LocalKafka

DEFAULT_PORT = 9092
"""The local broker's, unless the local cloud is told another (`ports["kafka"]`)."""

KIND = EventSourceKind(
    name=SOURCE,
    claims=claims,
    add_mapping=add_mapping,
    mapping_properties=MAPPING_PROPERTIES,
    runtime=lambda settings: LocalKafka(settings.host, settings.ports.get(SOURCE, DEFAULT_PORT)),
    resource_kinds=KINDS,
    metrics=lambda stack: KafkaMetricsSampler(kafka_stack_of(stack)),
)
