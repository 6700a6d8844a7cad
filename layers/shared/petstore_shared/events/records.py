"""Events out of the records a transport hands to a Lambda consumer. Each transport has
its own record shape and one parser here; the services only ever see `Event`."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

from petstore_shared.events.envelope import Event
from petstore_shared.events.registry import MalformedEvent, parse_event


def event_from_sqs_record(record: Mapping[str, Any]) -> Event[Any]:
    """SNS delivers to SQS with raw message delivery on: the body is the envelope."""
    body = record.get("body")
    if not isinstance(body, str):
        raise MalformedEvent("The SQS record has no body")
    return parse_event(body)


REDRIVEN_FOR_HEADER = "redriven-for-consumer-group"
"""A record redriven from a dead-letter topic goes back onto its source topic, which every
consumer group reads; this header names the one group that failed it, and the others
skip it (`petstore dlq redrive` writes it, as SQS redrive reaches only the failed queue)."""
CONSUMER_GROUP_VARIABLE = "KAFKA_CONSUMER_GROUP"
"""Each Kafka consumer's environment names its event source mapping's ConsumerGroupId."""


def redriven_for_another_consumer(record: Mapping[str, Any], consumer_group: str) -> bool:
    """Whether a Kafka record (as Lambda hands it over: each header's value a list of
    byte values) was redriven for a consumer group other than `consumer_group`."""
    for header in record.get("headers") or ():
        value = header.get(REDRIVEN_FOR_HEADER) if isinstance(header, Mapping) else None
        if isinstance(value, list):
            return bytes(value).decode(errors="replace") != consumer_group
    return False


def event_from_kafka_record(record: Mapping[str, Any]) -> Event[Any]:
    """Lambda hands over a Kafka record (Amazon MSK or self-managed) with its value in
    base64: the value is the envelope."""
    value = record.get("value")
    if not isinstance(value, str):
        raise MalformedEvent("The Kafka record has no value")
    try:
        body = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise MalformedEvent("The Kafka record's value is not base64 of UTF-8 text") from None
    return parse_event(body)


def event_from_rmq_message(message: Mapping[str, Any]) -> Event[Any]:
    """Lambda hands over an Amazon MQ for RabbitMQ message with its body in base64
    (`data`): the body is the envelope."""
    data = message.get("data")
    if not isinstance(data, str):
        raise MalformedEvent("The RabbitMQ message has no data")
    try:
        body = base64.b64decode(data, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise MalformedEvent("The RabbitMQ message's data is not base64 of UTF-8 text") from None
    return parse_event(body)


def rmq_message_id(message: Mapping[str, Any]) -> str:
    """What names a RabbitMQ message in the logs: its messageId property (the bus sets the
    event id), else a digest of its body, which whoever reads the dead-letter queue can
    compute again."""
    properties = message.get("basicProperties")
    given = properties.get("messageId") if isinstance(properties, Mapping) else None
    if isinstance(given, str) and given:
        return given
    data = message.get("data")
    raw = base64.b64decode(data) if isinstance(data, str) else b""
    return body_digest(raw)


def body_digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()[:32]
