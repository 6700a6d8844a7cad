"""The e-mail of each notification, recorded on the notification's item, and the
addresses SES reported as bouncing or complaining.

    on the notification item    emailStatus  SENDING | SENT | SKIPPED | FAILED
                                emailClaimedAt, emailMessageId, emailReason
    undeliverable address       pk=ADDRESS#<address>  sk=UNDELIVERABLE  reason, at

A sender claims the notification's e-mail with a conditional write before calling SES,
so that a notification delivered twice sends one e-mail. A claim whose sender died is
taken over once CLAIM_LEASE has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from notifications.dal.notification_items import notification_key
from notifications.settings import NotificationsSettings
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.item_timestamps import format_timestamp
from petstore_shared.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CLAIM_LEASE = timedelta(seconds=30)
"""Longer than one SES call with its retries (the functions time out after 10 s)."""
UNDELIVERABLE = "UNDELIVERABLE"


class EmailStatus(StrEnum):
    SENDING = "SENDING"
    SENT = "SENT"
    SKIPPED = "SKIPPED"
    """No e-mail goes: the shopper has no verified address, or it is undeliverable."""
    FAILED = "FAILED"
    """SES refused it, or it could not be written: retrying will not help."""


@dataclass(frozen=True)
class EmailRecord:
    status: EmailStatus
    reason: str | None = None


def address_key(address: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"ADDRESS#{address.lower()}"}, "sk": {"S": UNDELIVERABLE}}


class EmailDeliveries:
    def __init__(self, client: DynamoDBClient, table_name: str):
        self._client = client
        self._table_name = table_name

    def claim(self, notification_id: str, now: datetime) -> EmailRecord | None:
        """Claim the notification's e-mail for this sender: None when claimed, else what
        is recorded (SENDING while another sender's lease lasts)."""
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key=notification_key(notification_id),
                UpdateExpression="SET emailStatus = :sending, emailClaimedAt = :now",
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(emailStatus)"
                " OR (emailStatus = :sending AND emailClaimedAt < :expired))",
                ExpressionAttributeValues={
                    ":sending": {"S": EmailStatus.SENDING.value},
                    ":now": {"S": format_timestamp(now)},
                    ":expired": {"S": format_timestamp(now - CLAIM_LEASE)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as error:
            item: dict[str, Any] = error.response.get("Item") or {}  # type: ignore[assignment]
            if "emailStatus" not in item:
                raise LookupError(f"no notification {notification_id}") from None
            reason = item.get("emailReason", {}).get("S")
            return EmailRecord(EmailStatus(item["emailStatus"]["S"]), reason)
        return None

    def record_sent(self, notification_id: str, message_id: str) -> None:
        self._client.update_item(
            TableName=self._table_name,
            Key=notification_key(notification_id),
            UpdateExpression="SET emailStatus = :sent, emailMessageId = :id REMOVE emailClaimedAt",
            ExpressionAttributeValues={
                ":sent": {"S": EmailStatus.SENT.value},
                ":id": {"S": message_id},
            },
        )

    def record_outcome(self, notification_id: str, status: EmailStatus, reason: str) -> None:
        """A claimed e-mail that will not go (SKIPPED) or cannot (FAILED), and why."""
        self._client.update_item(
            TableName=self._table_name,
            Key=notification_key(notification_id),
            UpdateExpression="SET emailStatus = :status, emailReason = :reason "
            "REMOVE emailClaimedAt",
            ExpressionAttributeValues={":status": {"S": status.value}, ":reason": {"S": reason}},
        )

    def release(self, notification_id: str) -> None:
        """Give a claim back after a failure worth retrying: the retry claims it again."""
        self._client.update_item(
            TableName=self._table_name,
            Key=notification_key(notification_id),
            UpdateExpression="REMOVE emailStatus, emailClaimedAt",
            ConditionExpression="emailStatus = :sending",
            ExpressionAttributeValues={":sending": {"S": EmailStatus.SENDING.value}},
        )

    def mark_undeliverable(self, address: str, reason: str, at: datetime) -> None:
        self._client.put_item(
            TableName=self._table_name,
            Item={
                **address_key(address),
                "entity": {"S": "UndeliverableAddress"},
                "reason": {"S": reason},
                "at": {"S": format_timestamp(at)},
            },
        )

    def undeliverable_reason(self, address: str) -> str | None:
        item = self._client.get_item(
            TableName=self._table_name, Key=address_key(address), ConsistentRead=True
        ).get("Item")
        return item["reason"]["S"] if item else None


@cache
def email_deliveries_from_environment() -> EmailDeliveries:
    settings = load_settings(NotificationsSettings)
    return EmailDeliveries(dynamodb_client(), settings.notifications_table_name)
