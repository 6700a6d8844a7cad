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

PROPERTY_NAMES = {
    "content_type": "contentType",
    "content_encoding": "contentEncoding",
    "delivery_mode": "deliveryMode",
    "priority": "priority",
    "correlation_id": "correlationId",
    "reply_to": "replyTo",
    "expiration": "expiration",
    "message_id": "messageId",
    "type": "type",
    "user_id": "userId",
    "app_id": "appId",
    "cluster_id": "clusterId",
}


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
        names = (*PROPERTY_NAMES, "headers", "timestamp")
        return cls(
            delivery_tag=method.delivery_tag,
            body=body,
            redelivered=bool(method.redelivered),
            properties={name: getattr(properties, name, None) for name in names},
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
    given = message.properties
    shaped: dict[str, Any] = {
        name: given.get(attribute) for attribute, name in PROPERTY_NAMES.items()
    }
    shaped["headers"] = {
        name: _header(value) for name, value in (given.get("headers") or {}).items()
    }
    timestamp = given.get("timestamp")
    shaped["timestamp"] = _java_date(timestamp) if isinstance(timestamp, int) else None
    shaped["bodySize"] = len(message.body)
    return dict(sorted(shaped.items(), key=lambda item: _ORDER.index(item[0])))


_ORDER = [
    "contentType",
    "contentEncoding",
    "headers",
    "deliveryMode",
    "priority",
    "correlationId",
    "replyTo",
    "expiration",
    "messageId",
    "timestamp",
    "type",
    "userId",
    "appId",
    "clusterId",
    "bodySize",
]


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
