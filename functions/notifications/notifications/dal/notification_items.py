"""How notifications are laid out in the notifications table.

    notification  pk=NOTIFICATION#<id>  sk=NOTIFICATION  gsi1pk=USER#<userId>
                                                         gsi1sk=<createdAt>#<id>

The `byUser` index lists a shopper's notifications newest first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from notifications.models import Notification, NotificationStatus
from petstore_shared.item_timestamps import format_timestamp, parse_timestamp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

Item = dict[str, "AttributeValueTypeDef"]
SORT_KEY = "NOTIFICATION"


def notification_key(notification_id: str) -> Item:
    return {"pk": {"S": f"NOTIFICATION#{notification_id}"}, "sk": {"S": SORT_KEY}}


def user_partition_key(user_id: str) -> str:
    return f"USER#{user_id}"


def notification_to_item(notification: Notification) -> Item:
    created = format_timestamp(notification.created_at)
    item: Item = {
        **notification_key(notification.notification_id),
        "entity": {"S": "Notification"},
        "notificationId": {"S": notification.notification_id},
        "userId": {"S": notification.user_id},
        "subject": {"S": notification.subject},
        "message": {"S": notification.message},
        "status": {"S": notification.status.value},
        "createdAt": {"S": created},
        "gsi1pk": {"S": user_partition_key(notification.user_id)},
        "gsi1sk": {"S": f"{created}#{notification.notification_id}"},
    }
    if notification.order_id is not None:
        item["orderId"] = {"S": notification.order_id}
    if notification.event_type is not None:
        item["eventType"] = {"S": notification.event_type}
    item["template"] = {"S": notification.template}
    item["fields"] = {"M": {name: {"S": value} for name, value in notification.fields.items()}}
    return item


def notification_from_item(item: Mapping[str, Any]) -> Notification:
    return Notification(
        notification_id=item["notificationId"]["S"],
        user_id=item["userId"]["S"],
        subject=item["subject"]["S"],
        message=item["message"]["S"],
        order_id=item["orderId"]["S"] if "orderId" in item else None,
        event_type=item["eventType"]["S"] if "eventType" in item else None,
        status=NotificationStatus(item["status"]["S"]),
        created_at=parse_timestamp(item["createdAt"]["S"]),
        sent_at=parse_timestamp(item["sentAt"]["S"]) if "sentAt" in item else None,
        template=item["template"]["S"] if "template" in item else "notification",
        fields={name: value["S"] for name, value in item.get("fields", {}).get("M", {}).items()},
    )
