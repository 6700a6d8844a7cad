"""Amazon SNS subscriptions of Lambda functions: each notification invokes the function
asynchronously with Lambda's SNS event."""

import json
from functools import partial
from typing import Any

from localcloud.event_sources.base import EventSourceKind, PollerContext, PollersOnly
from localcloud.event_sources.delivery_queue import Delivery, DeliveryPoller
from localcloud.event_sources.sns.events import sns_event
from localcloud.event_sources.sns.subscription import (
    SOURCE,
    SnsSubscription,
    claims,
    refuse_mapping,
    sns_subscriptions,
)


def _event_of(subscription_arn: str, body: str) -> dict[str, Any]:
    return sns_event(json.loads(body), subscription_arn)


def _poller(subscription: SnsSubscription, context: PollerContext) -> DeliveryPoller:
    return DeliveryPoller(
        Delivery(subscription.function, subscription.topic_arn, subscription.queue_url),
        partial(_event_of, subscription.subscription_arn),
        context.invoke,
        endpoint_url=context.endpoint_url,
        region=context.region,
    )


KIND = EventSourceKind(
    name=SOURCE,
    claims=claims,
    add_mapping=refuse_mapping,
    mapping_properties=frozenset(),
    runtime=lambda settings: PollersOnly(sns_subscriptions, _poller),
)
