"""DynamoDB Streams event source mappings: every shard read in order, failed batches retried."""

from localcloud.event_sources.base import EventSourceKind, PollerContext, PollersOnly
from localcloud.event_sources.dynamodb_streams.mapping import (
    MAPPING_PROPERTIES,
    SOURCE,
    StreamMapping,
    add_mapping,
    claims,
    stream_mappings,
)
from localcloud.event_sources.dynamodb_streams.poller import StreamPoller


def _poller(mapping: StreamMapping, context: PollerContext) -> StreamPoller:
    return StreamPoller(
        mapping, context.invoke, endpoint_url=context.endpoint_url, region=context.region
    )


KIND = EventSourceKind(
    name=SOURCE,
    claims=claims,
    add_mapping=add_mapping,
    mapping_properties=MAPPING_PROPERTIES,
    runtime=lambda settings: PollersOnly(stream_mappings, _poller),
)
