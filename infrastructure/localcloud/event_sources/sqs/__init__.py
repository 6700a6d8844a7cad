"""Amazon SQS event source mappings: long-polled queues, batches deleted once handled."""

from localcloud.event_sources.base import EventSourceKind, PollerContext, PollersOnly
from localcloud.event_sources.sqs.mapping import (
    MAPPING_PROPERTIES,
    SOURCE,
    SqsMapping,
    add_mapping,
    claims,
    sqs_mappings,
)
from localcloud.event_sources.sqs.poller import SqsPoller


def _poller(mapping: SqsMapping, context: PollerContext) -> SqsPoller:
    return SqsPoller(
        mapping, context.invoke, endpoint_url=context.endpoint_url, region=context.region
    )


KIND = EventSourceKind(
    name=SOURCE,
    claims=claims,
    add_mapping=add_mapping,
    mapping_properties=MAPPING_PROPERTIES,
    runtime=lambda settings: PollersOnly(sqs_mappings, _poller),
)
