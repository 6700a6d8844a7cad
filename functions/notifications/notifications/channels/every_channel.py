"""Every channel a notification goes out on: the notifications topic (for subscribers
of `notification.sent`), then the shopper's e-mail when a sender identity is set."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from notifications.channels.email_channel import email_channel_from_environment
from notifications.channels.topic_channel import topic_channel_from_environment
from notifications.logic.notification_channel import NotificationChannel
from notifications.models import Notification


class EveryChannel:
    """Delivers on each channel in turn; a failure stops there and raises, and the retry
    delivers on each again (every channel delivers a notification once)."""

    def __init__(self, channels: Sequence[NotificationChannel]) -> None:
        self._channels = tuple(channels)

    def deliver(self, notification: Notification) -> None:
        for channel in self._channels:
            channel.deliver(notification)


@cache
def every_channel_from_environment() -> EveryChannel:
    email = email_channel_from_environment()
    topic = topic_channel_from_environment()
    return EveryChannel([topic] if email is None else [topic, email])
