"""The transactional outbox: a service that changes state writes the event announcing
the change into its own table, in the same DynamoDB transaction, and a stream-triggered
publisher (`outbox_publisher`) sends it to the bus. Writing the change and publishing
its event cannot come apart: the event exists if and only if the change committed.

    outbox item  pk=OUTBOX#<correlationId>  sk=EVENT#<eventId>  event=<envelope JSON>

Keying by event id makes writing the same event twice a no-op (the put is
conditional), which the services rely on when they derive event ids from their cause.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from petstore_shared.events.envelope import Event
from petstore_shared.events.registry import parse_event

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, TransactWriteItemTypeDef

OUTBOX_PARTITION_PREFIX = "OUTBOX#"
OUTBOX_RETENTION = timedelta(days=7)
"""Published items expire (table TTL on `expiration`) after this long."""


def outbox_item(event: Event[Any]) -> dict[str, AttributeValueTypeDef]:
    expires = int((event.time + OUTBOX_RETENTION).timestamp())
    return {
        "pk": {"S": f"{OUTBOX_PARTITION_PREFIX}{event.correlation_id}"},
        "sk": {"S": f"EVENT#{event.id}"},
        "entity": {"S": "OutboxEvent"},
        "eventType": {"S": event.type},
        "event": {"S": event.to_json()},
        "expiration": {"N": str(expires)},
    }


def outbox_put(table_name: str, event: Event[Any]) -> TransactWriteItemTypeDef:
    """The transaction item that records `event` for publishing."""
    return {
        "Put": {
            "TableName": table_name,
            "Item": outbox_item(event),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def event_from_stream_record(record: Mapping[str, Any]) -> Event[Any] | None:
    """The event an outbox item's INSERT carries; None for any other stream record."""
    if record.get("eventName") != "INSERT":
        return None
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    partition = (image.get("pk") or {}).get("S", "")
    if not partition.startswith(OUTBOX_PARTITION_PREFIX):
        return None
    return parse_event(image["event"]["S"])


def add_to_outbox(client: DynamoDBClient, table_name: str, event: Event[Any]) -> bool:
    """Record `event` on its own, after a change that is idempotent in itself (doing it
    again finds it done), for state owned by code that runs its own transaction. With an
    id derived from the cause, a second write after a crash is a no-op: False."""
    try:
        client.put_item(**outbox_put(table_name, event)["Put"])
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True
