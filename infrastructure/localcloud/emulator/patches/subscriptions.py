"""SNS subscriptions read while others are being made.

moto looks through its dict of every subscription on Subscribe (to return an existing
one), on Publish (to deliver) and on SetSubscriptionAttributes (a filter policy, set while
provisioning); a Subscribe running on another of the server's threads adds to that dict
meanwhile, and the iteration fails with "OrderedDict mutated during iteration": a 500.
The local cloud provisions a wave's subscriptions side by side, and the services publish
while it does. Here each backend's table of subscriptions hands out its values as a list
taken at once, for every reader.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from moto.sns.models import SNSBackend, Subscription

MOTO_BACKEND_INIT = SNSBackend.__init__


class SubscriptionTable(OrderedDict[str, Subscription]):
    """A backend's subscriptions by ARN, whose values are a copy taken at once rather than
    a live view that another thread's Subscribe invalidates."""

    def values(self) -> list[Subscription]:  # type: ignore[override]
        return list(super().values())


def _with_subscription_table(self: SNSBackend, *args: Any, **kwargs: Any) -> None:
    MOTO_BACKEND_INIT(self, *args, **kwargs)
    self.subscriptions = SubscriptionTable(self.subscriptions)


def install() -> None:
    SNSBackend.__init__ = _with_subscription_table  # type: ignore[method-assign]
