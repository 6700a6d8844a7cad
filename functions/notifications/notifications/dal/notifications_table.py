"""Notifications in the notifications table: store once, mark sent, list by user."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from notifications.dal.notification_items import (
    SORT_KEY,
    notification_from_item,
    notification_key,
    notification_to_item,
    user_partition_key,
)
from notifications.models import Notification, NotificationStatus
from notifications.settings import NotificationsSettings
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.item_timestamps import format_timestamp
from petstore_shared.page_tokens import query_newest_first
from petstore_shared.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

USER_INDEX = "byUser"


class NotificationsTable:
    def __init__(self, client: DynamoDBClient, table_name: str):
        self._client = client
        self._table_name = table_name

    def add(self, notification: Notification) -> Notification:
        """Store the notification unless one with its id exists; the stored one."""
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=notification_to_item(notification),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as error:
            return notification_from_item(error.response["Item"])  # type: ignore[typeddict-item]
        return notification

    def mark_sent(self, notification: Notification, sent_at: datetime) -> Notification:
        self._client.update_item(
            TableName=self._table_name,
            Key=notification_key(notification.notification_id),
            UpdateExpression="SET #status = :sent, sentAt = :at",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":sent": {"S": NotificationStatus.SENT.value},
                ":at": {"S": format_timestamp(sent_at)},
            },
        )
        return notification.model_copy(
            update={"status": NotificationStatus.SENT, "sent_at": sent_at}
        )

    def list_user_notifications(
        self, user_id: str, limit: int, next_token: str | None
    ) -> tuple[list[Notification], str | None]:
        """One page of the user's notifications, newest first, and the next page's token."""
        items, token = query_newest_first(
            self._client,
            table_name=self._table_name,
            index_name=USER_INDEX,
            partition=user_partition_key(user_id),
            sort_key=SORT_KEY,
            limit=limit,
            next_token=next_token,
        )
        return [notification_from_item(item) for item in items], token


@cache
def notifications_table_from_environment() -> NotificationsTable:
    settings = load_settings(NotificationsSettings)
    return NotificationsTable(dynamodb_client(), settings.notifications_table_name)
