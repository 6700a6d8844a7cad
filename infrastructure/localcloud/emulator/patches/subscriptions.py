"""SNS subscriptions read while others are being made.

moto looks for a topic's subscriptions (on Subscribe, to return an existing one, and on
Publish, to deliver) by iterating its dict of every subscription; a Subscribe running on
another of the server's threads adds to that dict meanwhile, and the iteration fails
with "OrderedDict mutated during iteration": a 500 for a Subscribe or a Publish.
The local cloud provisions a wave's subscriptions side by side, and the services publish
while it does. Here both read a copy of the dict's values, taken at once.
"""

from __future__ import annotations

from moto.sns.models import SNSBackend, Subscription, Topic


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
    SNSBackend._find_subscription = _find_subscription  # type: ignore[method-assign]
    SNSBackend._get_topic_subscriptions = _get_topic_subscriptions  # type: ignore[method-assign]
