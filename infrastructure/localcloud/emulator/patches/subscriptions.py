"""SNS subscriptions read while others are being made.

moto looks for a topic's subscriptions (on Subscribe, to return an existing one, and on
Publish, to deliver) by iterating its dict of every subscription; a Subscribe running on
another of the server's threads adds to that dict meanwhile, and the iteration fails
with "OrderedDict mutated during iteration": a 500 for a Subscribe or a Publish.
The local cloud provisions a wave's subscriptions side by side, and the services publish
while it does. Here both read a copy of the dict's values, taken at once.

SetSubscriptionAttributes (a subscription's filter policy, set while provisioning) looks
through the same dict: each backend's table of subscriptions now hands out its values as
a list taken at once, for every reader.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from moto.sns.models import SNSBackend, Subscription, Topic

MOTO_BACKEND_INIT = SNSBackend.__init__


class SubscriptionTable(OrderedDict[str, Subscription]):
    """A backend's subscriptions by ARN, whose values are a copy taken at once rather than
    a live view that another thread's Subscribe invalidates."""

    def values(self) -> list[Subscription]:  # type: ignore[override]
        return list(super().values())


def _with_subscription_table(self: SNSBackend, *args: Any, **kwargs: Any) -> None:
    MOTO_BACKEND_INIT(self, *args, **kwargs)
    self.subscriptions = SubscriptionTable(self.subscriptions)


def _find_subscription(
    self: SNSBackend, topic_arn: str, endpoint: str, protocol: str
) -> Subscription | None:
    for subscription in list(self.subscriptions.values()):
        if (
            subscription.topic.arn == topic_arn
            and subscription.endpoint == endpoint
            and subscription.protocol == protocol
        ):
            return subscription
    return None


def _get_topic_subscriptions(self: SNSBackend, topic: Topic) -> list[Subscription]:
    return [sub for sub in list(self.subscriptions.values()) if sub.topic == topic]


def install() -> None:
    SNSBackend.__init__ = _with_subscription_table  # type: ignore[method-assign]
    SNSBackend._find_subscription = _find_subscription  # type: ignore[method-assign]
    SNSBackend._get_topic_subscriptions = _get_topic_subscriptions  # type: ignore[method-assign]
