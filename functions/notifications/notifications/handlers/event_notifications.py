"""What both of the notifications service's event consumers do with an event: notify
its shopper, and count it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from notifications.channels.email_channel import email_channel_from_environment
from notifications.channels.every_channel import every_channel_from_environment
from notifications.dal.notifications_table import notifications_table_from_environment
from notifications.logic.send_notifications import notify_about_event
from petstore_shared.aws_clients import made_before_snapshot
from petstore_shared.events.bus import prepare_for_snapshot
from petstore_shared.events.envelope import Event
from petstore_shared.observability import logger, metrics

# The e-mail channel's SES and Cognito clients and the bus's SNS client: a restored
# consumer's first notification took ~1 s making them.
made_before_snapshot(
    notifications_table_from_environment, email_channel_from_environment, prepare_for_snapshot
)


def notify_shopper(event: Event[Any]) -> None:
    sent = notify_about_event(
        event,
        notifications=notifications_table_from_environment(),
        channel=every_channel_from_environment(),
    )
    if sent is not None:
        metrics.add_metric(name="NotificationsSent", unit=MetricUnit.Count, value=1)
        logger.info("Shopper notified", extra={"notification_id": sent.notification_id})
