"""Events out of the records a transport hands to a Lambda consumer. Each transport has
its own record shape and one parser here; the services only ever see `Event`."""

from __future__ import annotations

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
