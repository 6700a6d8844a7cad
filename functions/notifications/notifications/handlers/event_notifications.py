"""What both of the notifications service's event consumers do with an event: notify
its shopper, and count it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from notifications.channels.every_channel import every_channel_from_environment
from notifications.dal.notifications_table import notifications_table_from_environment
from notifications.logic.send_notifications import notify_about_event
from petstore_shared.events.envelope import Event
from petstore_shared.observability import logger, metrics


def notify_shopper(event: Event[Any]) -> None:
    sent = notify_about_event(
        event,
        notifications=notifications_table_from_environment(),
        channel=every_channel_from_environment(),
    )
    if sent is not None:
        metrics.add_metric(name="NotificationsSent", unit=MetricUnit.Count, value=1)
        logger.info("Shopper notified", extra={"notification_id": sent.notification_id})
