"""Amazon SNS subscriptions of Lambda functions: each notification invokes the function
asynchronously with Lambda's SNS event."""

from localcloud.event_sources.base import EventSourceKind, PollerContext, PollersOnly
from localcloud.event_sources.sns.poller import SnsPoller
from localcloud.event_sources.sns.subscription import (
    SOURCE,
    SnsSubscription,
    claims,
    refuse_mapping,
    sns_subscriptions,
)


def _poller(subscription: SnsSubscription, context: PollerContext) -> SnsPoller:
    return SnsPoller(
        subscription, context.invoke, endpoint_url=context.endpoint_url, region=context.region
    )


KIND = EventSourceKind(
    name=SOURCE,
    claims=claims,
    add_mapping=refuse_mapping,
    mapping_properties=frozenset(),
    runtime=lambda settings: PollersOnly(sns_subscriptions, _poller),
)
