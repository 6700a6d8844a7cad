"""SNS topics keep no copy of what was published to them, as on AWS.

moto keeps every message published to a topic, for ever, so that its own tests can look
at them: under the saga's traffic that held ~0.35 MB a minute in the emulator. SNS
delivers a message to the topic's subscriptions and keeps nothing; here a topic's
`sent_notifications` is made empty and stays so (a deque that holds nothing).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from moto.sns.models import Topic

MOTO_TOPIC_INIT = Topic.__init__


def init(self: Topic, *args: Any, **kwargs: Any) -> None:
    MOTO_TOPIC_INIT(self, *args, **kwargs)
    self.sent_notifications = deque(maxlen=0)  # type: ignore[assignment]


def install() -> None:
    Topic.__init__ = init  # type: ignore[method-assign]
