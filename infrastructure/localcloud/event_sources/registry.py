"""Every kind of event source the local cloud runs: provisioning, the local cloud and its
monitoring find them here. A new kind is a folder of its own and one line below."""

from localcloud.event_sources import dynamodb_streams, eventbridge, sns, sqs
from localcloud.event_sources.base import EventSourceKind
from localcloud.event_sources.kafka import kind as kafka
from localcloud.event_sources.rabbitmq import kind as rabbitmq

EVENT_SOURCES: tuple[EventSourceKind, ...] = (
    sqs.KIND,
    dynamodb_streams.KIND,
    kafka.KIND,
    sns.KIND,
    eventbridge.KIND,
    rabbitmq.KIND,
)
