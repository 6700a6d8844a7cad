"""Lambda's event for Amazon MQ for RabbitMQ (`aws:rmq`), and the messages as a consumer
reads them. The shape is AWS's: messages grouped by `queue::vhost` under
`rmqMessagesByQueue`, each with its `basicProperties` (a header's text value as
`{"bytes": [...]}`, numbers as they are), `redelivered` and its body in base64 `data`."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud.event_sources.rabbitmq.mapping import RabbitMQMapping

PROPERTIES = (
    "content_type",
    "content_encoding",
    "headers",
    "delivery_mode",
    "priority",
    "correlation_id",
    "reply_to",
    "expiration",
    "message_id",
    "timestamp",
    "type",
    "user_id",
    "app_id",
    "cluster_id",
)
"""pika's names of the AMQP basic properties the event carries."""


@dataclass(frozen=True)
class RabbitMQMessage:
    """A message as the poller's consumer received it."""

    delivery_tag: int
    body: bytes
    redelivered: bool
    properties: dict[str, Any]
    """pika's BasicProperties as a dict of their attribute names."""

    @classmethod
    def from_delivery(cls, method: Any, properties: Any, body: bytes) -> RabbitMQMessage:
        return cls(
            delivery_tag=method.delivery_tag,
            body=body,
            redelivered=bool(method.redelivered),
            properties={name: getattr(properties, name, None) for name in PROPERTIES},
        )


def rmq_event(messages: Sequence[RabbitMQMessage], mapping: RabbitMQMapping) -> dict[str, Any]:
    return {
        "eventSource": "aws:rmq",
        "eventSourceArn": mapping.broker_arn,
        "rmqMessagesByQueue": {mapping.queue_key: [event_message(message) for message in messages]},
    }


def event_message(message: RabbitMQMessage) -> dict[str, Any]:
    return {
        "basicProperties": basic_properties(message),
        "redelivered": message.redelivered,
        "data": base64.b64encode(message.body).decode(),
    }


def basic_properties(message: RabbitMQMessage) -> dict[str, Any]:
    """In the order Lambda writes them."""
    given = message.properties
    timestamp = given.get("timestamp")
    return {
        "contentType": given.get("content_type"),
        "contentEncoding": given.get("content_encoding"),
        "headers": {name: _header(value) for name, value in (given.get("headers") or {}).items()},
        "deliveryMode": given.get("delivery_mode"),
        "priority": given.get("priority"),
        "correlationId": given.get("correlation_id"),
        "replyTo": given.get("reply_to"),
        "expiration": given.get("expiration"),
        "messageId": given.get("message_id"),
        "timestamp": _java_date(timestamp) if isinstance(timestamp, int) else None,
        "type": given.get("type"),
        "userId": given.get("user_id"),
        "appId": given.get("app_id"),
        "clusterId": given.get("cluster_id"),
        "bodySize": len(message.body),
    }


def _header(value: Any) -> Any:
    """Text as its UTF-8 bytes, as Lambda's event carries it; numbers and flags as they are."""
    if isinstance(value, str):
        return {"bytes": list(value.encode())}
    if isinstance(value, bytes):
        return {"bytes": list(value)}
    if isinstance(value, dict):
        return {name: _header(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_header(item) for item in value]
    if isinstance(value, datetime):
        return _java_date(int(value.timestamp()))
    return value


def _java_date(seconds: int) -> str:
    """The AMQP timestamp as Lambda writes it: "Jan 1, 1970, 12:33:41 AM"."""
    moment = datetime.fromtimestamp(seconds, UTC)
    hour = moment.hour % 12 or 12
    return f"{moment:%b} {moment.day}, {moment.year}, {hour}:{moment:%M:%S %p}"
