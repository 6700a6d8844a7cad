"""The invocation record a DynamoDB stream mapping sends its on-failure destination, in
the shape AWS documents (services-dynamodb-errors): checked against Powertools' model of
it, without an emulator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.parser.models.dynamodb import (
    DynamoDBStreamLambdaOnFailureDestinationModel,
)

from localcloud.event_sources.dynamodb_streams.invocation_record import invocation_record
from localcloud.event_sources.ordered_retry import Attempt, GivenUp
from localcloud.model import InvocationResult

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:petstore-OrdersOutboxPublisher"
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-11-24T00:00:00"
SHARD = "shardId-00000001700000000000-0000abcd"
NOW = datetime(2026, 11, 24, 10, 0, 30, 123456, tzinfo=UTC)


def stream_record(sequence_number: str, created: datetime) -> dict[str, Any]:
    """As GetRecords returns it (botocore parses the creation time)."""
    return {
        "eventID": f"e-{sequence_number}",
        "eventName": "INSERT",
        "dynamodb": {
            "ApproximateCreationDateTime": created,
            "Keys": {"pk": {"S": "OUTBOX#order-1"}},
            "SequenceNumber": sequence_number,
        },
    }


RECORDS = [
    stream_record("100", datetime(2026, 11, 24, 10, 0, 1, tzinfo=UTC)),
    stream_record("200", datetime(2026, 11, 24, 10, 0, 2, tzinfo=UTC)),
]


def record_of(given_up: GivenUp[dict[str, Any]]) -> dict[str, Any]:
    return invocation_record(
        given_up, function_arn=FUNCTION_ARN, shard_id=SHARD, stream_arn=STREAM_ARN, now=NOW
    )


def test_records_whose_retries_ran_out_are_described_by_shard_and_sequence_numbers() -> None:
    failed = InvocationResult(
        ok=False, error_type="ValueError", error_message="poison", request_id="req-3"
    )
    given_up = GivenUp(RECORDS, "RetryAttemptsExhausted", 3, Attempt(failed, RECORDS, RECORDS))

    record = record_of(given_up)

    assert record == {
        "requestContext": {
            "requestId": "req-3",
            "functionArn": FUNCTION_ARN,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 3,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": "2026-11-24T10:00:30.123Z",
        "DDBStreamBatchInfo": {
            "shardId": SHARD,
            "startSequenceNumber": "100",
            "endSequenceNumber": "200",
            "approximateArrivalOfFirstRecord": "2026-11-24T10:00:01Z",
            "approximateArrivalOfLastRecord": "2026-11-24T10:00:02Z",
            "batchSize": 2,
            "streamArn": STREAM_ARN,
        },
    }
    parsed = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(record)
    assert parsed.ddb_stream_batch_info.batch_size == 2
    assert parsed.request_context.condition == "RetryAttemptsExhausted"


def test_a_partial_batch_response_that_ran_out_of_retries_has_no_function_error() -> None:
    # the function returned normally, naming failed items: no X-Amz-Function-Error
    reported = InvocationResult(ok=True, payload={"batchItemFailures": []}, request_id="r")
    given_up = GivenUp(RECORDS[1:], "RetryAttemptsExhausted", 2, Attempt(reported, [], []))

    record = record_of(given_up)

    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["DDBStreamBatchInfo"]["startSequenceNumber"] == "200"
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1


def test_records_that_expired_before_any_invocation_are_reported_as_record_age_exceeded() -> None:
    record = record_of(GivenUp(RECORDS, "RecordAgeExceeded", 0, None))

    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["requestContext"]["requestId"]
    assert "functionError" not in record["responseContext"]
    DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(record)


def test_a_creation_time_given_in_epoch_seconds_is_read_as_utc() -> None:
    epoch = stream_record("300", datetime(2026, 1, 1, tzinfo=UTC))
    epoch["dynamodb"]["ApproximateCreationDateTime"] = 1767225600

    record = record_of(GivenUp([epoch], "RecordAgeExceeded", 0, None))

    assert record["DDBStreamBatchInfo"]["approximateArrivalOfFirstRecord"] == "2026-01-01T00:00:00Z"
