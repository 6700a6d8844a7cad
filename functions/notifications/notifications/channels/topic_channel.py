"""The default channel: a `notification.sent` event on the notifications topic, where
e-mail, SMS or push subscriptions pick it up. Its id derives from the notification, so
delivering again after a failure is the same message."""

from __future__ import annotations

from functools import cache

from notifications.models import Notification
from petstore_shared.events.bus import EventBus, event_bus_from_environment
from petstore_shared.events.catalog import NotificationSent
from petstore_shared.events.envelope import derived_event_id, new_event

EVENT_SOURCE = "petstore.notifications"


class TopicChannel:
    def __init__(self, bus: EventBus):
        self._bus = bus

    def deliver(self, notification: Notification) -> None:
        sent = NotificationSent(
            notification_id=notification.notification_id,
            user_id=notification.user_id,
            subject=notification.subject,
            message=notification.message,
            order_id=notification.order_id,
        )
        event_id = derived_event_id(notification.notification_id, sent.event_type)
        self._bus.publish(new_event(sent, source=EVENT_SOURCE, event_id=event_id))


@cache
def topic_channel_from_environment() -> TopicChannel:
    return TopicChannel(event_bus_from_environment())
