"""The invocation record Lambda sends a DynamoDB stream mapping's on-failure destination
for records it gave up on: which invocation, why, and which records (by shard and
sequence numbers; the records themselves stay in the stream for 24 hours)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from localcloud.event_sources.dynamodb_streams.events import StreamRecord
from localcloud.event_sources.ordered_retry import GivenUp


def invocation_record(
    given_up: GivenUp[StreamRecord],
    *,
    function_arn: str,
    shard_id: str,
    stream_arn: str,
    now: datetime,
) -> dict[str, Any]:
    records = given_up.records
    result = given_up.last.result if given_up.last else None
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if result is not None and not result.ok:
        response["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": (result.request_id if result else "") or str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": given_up.condition,
            "approximateInvokeCount": given_up.invocations,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _arrival(records[0]),
            "approximateArrivalOfLastRecord": _arrival(records[-1]),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def created_at(record: StreamRecord) -> datetime:
    """When the change was written (ApproximateCreationDateTime)."""
    created = record["dynamodb"]["ApproximateCreationDateTime"]
    if isinstance(created, datetime):
        return created if created.tzinfo else created.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(created), UTC)


def _arrival(record: StreamRecord) -> str:
    return created_at(record).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
