"""Lambda's DynamoDB Streams event for records as GetRecords returns them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from localcloud.event_sources.base import base64_text

StreamRecord = dict[str, Any]
"""A record as GetRecords returns it."""


def dynamodb_stream_event(
    records: Sequence[StreamRecord], stream_arn: str, region: str
) -> dict[str, Any]:
    return {"Records": [stream_record(record, stream_arn, region) for record in records]}


def stream_record(record: StreamRecord, stream_arn: str, region: str) -> dict[str, Any]:
    change = record["dynamodb"]
    shaped: dict[str, Any] = {}
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        shaped["ApproximateCreationDateTime"] = int(created.timestamp())
    elif created is not None:
        shaped["ApproximateCreationDateTime"] = created
    for key in ("Keys", "NewImage", "OldImage"):
        if key in change:
            shaped[key] = {name: _wire_value(value) for name, value in change[key].items()}
    for key in ("SequenceNumber", "SizeBytes", "StreamViewType"):
        if key in change:
            shaped[key] = change[key]
    event_record = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": shaped,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        event_record["userIdentity"] = record["userIdentity"]
    return event_record


def _wire_value(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute value as DynamoDB's JSON carries it: botocore decodes
    binaries to bytes, the Lambda event has them in base64."""
    kind, inner = next(iter(value.items()))
    if kind == "B":
        return {"B": base64_text(inner)}
    if kind == "BS":
        return {"BS": [base64_text(item) for item in inner]}
    if kind == "M":
        return {"M": {name: _wire_value(item) for name, item in inner.items()}}
    if kind == "L":
        return {"L": [_wire_value(item) for item in inner]}
    return value
