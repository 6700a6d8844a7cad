from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from notifications.dal.notifications_table import NotificationsTable
from notifications.logic.compose_message import CUSTOM_TEMPLATE, message_about
from notifications.logic.notification_channel import NotificationChannel
from notifications.models import CustomNotificationRequest, Notification, NotificationStatus
from petstore_shared.events.envelope import Event, derived_event_id


def notify_about_event(
    event: Event[Any], *, notifications: NotificationsTable, channel: NotificationChannel
) -> Notification | None:
    """Store one notification for the event's shopper and deliver it: once per event,
    however often the event arrives. None for an event shoppers are not told about."""
    message = message_about(event.data)
    if message is None:
        return None
    data = event.data
    notification = Notification(
        notification_id=derived_event_id(event.id, data.user_id),
        user_id=data.user_id,
        subject=message.subject,
        message=message.text,
        order_id=data.order_id,
        event_type=event.type,
        status=NotificationStatus.PENDING,
        created_at=event.time,
        template=message.template,
        fields=message.fields,
    )
    stored = notifications.add(notification)
    if stored.status is NotificationStatus.SENT:
        return None
    return deliver(stored, notifications=notifications, channel=channel)


def send_custom_notification(
    request: CustomNotificationRequest,
    *,
    notifications: NotificationsTable,
    channel: NotificationChannel,
) -> Notification:
    notification = Notification(
        notification_id=str(uuid.uuid4()),
        user_id=request.user_id,
        subject=request.subject,
        message=request.message,
        status=NotificationStatus.PENDING,
        created_at=datetime.now(UTC),
        template=CUSTOM_TEMPLATE,
        fields={"subject": request.subject, "message": request.message},
    )
    stored = notifications.add(notification)
    return deliver(stored, notifications=notifications, channel=channel)


def deliver(
    notification: Notification, *, notifications: NotificationsTable, channel: NotificationChannel
) -> Notification:
    """Hand a stored notification to the channel, then mark it SENT. A failure leaves it
    PENDING and raises, so the caller's retry delivers it (at least once)."""
    channel.deliver(notification)
    return notifications.mark_sent(notification, datetime.now(UTC))
