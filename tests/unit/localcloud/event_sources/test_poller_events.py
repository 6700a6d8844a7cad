"""The event shapes the pollers build and how they read a function's response,
checked without an emulator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from localcloud.event_sources.batch_failures import reported_failures
from localcloud.event_sources.dynamodb_streams.events import dynamodb_stream_event
from localcloud.event_sources.sqs.events import sqs_event

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:orders"
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-11-24T00:00:00"


def test_sqs_event_has_lambdas_record_shape() -> None:
    received = {
        "MessageId": "m-1",
        "ReceiptHandle": "rh-1",
        "MD5OfBody": "md5",
        "Body": '{"type": "order.placed"}',
        "Attributes": {
            "SenderId": "AIDA",
            "SentTimestamp": "1700000000000",
            "ApproximateReceiveCount": "2",
            "ApproximateFirstReceiveTimestamp": "1700000000100",
            "SqsManagedSseEnabled": "false",
        },
        "MD5OfMessageAttributes": "md5-attributes",
        "MessageAttributes": {
            "type": {"StringValue": "order.placed", "DataType": "String"},
            "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"},
        },
    }

    event = sqs_event([received], QUEUE_ARN, "us-east-1")

    assert event == {
        "Records": [
            {
                "messageId": "m-1",
                "receiptHandle": "rh-1",
                "body": '{"type": "order.placed"}',
                "attributes": {
                    "ApproximateReceiveCount": "2",
                    "SentTimestamp": "1700000000000",
                    "SenderId": "AIDA",
                    "ApproximateFirstReceiveTimestamp": "1700000000100",
                },
                "messageAttributes": {
                    "type": {
                        "stringValue": "order.placed",
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": "String",
                    },
                    "blob": {
                        "binaryValue": "AAE=",
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": "Binary",
                    },
                },
                "md5OfMessageAttributes": "md5-attributes",
                "md5OfBody": "md5",
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": "us-east-1",
            }
        ]
    }


def test_an_sqs_record_without_message_attributes_has_a_null_attributes_digest() -> None:
    received = {"MessageId": "m-1", "ReceiptHandle": "rh-1", "MD5OfBody": "md5", "Body": "x"}

    (record,) = sqs_event([received], QUEUE_ARN, "us-east-1")["Records"]

    assert record["md5OfMessageAttributes"] is None
    assert record["messageAttributes"] == {}


def test_an_sqs_record_keeps_fifo_and_dead_letter_system_attributes() -> None:
    system_attributes = {
        "SequenceNumber": "18849496460467696128",
        "MessageGroupId": "g-1",
        "MessageDeduplicationId": "d-1",
        "DeadLetterQueueSourceArn": "arn:aws:sqs:us-east-1:123456789012:orders-source",
    }
    received = {
        "MessageId": "m-1",
        "ReceiptHandle": "rh-1",
        "Body": "x",
        "Attributes": {"ApproximateReceiveCount": "1"} | system_attributes,
    }

    (record,) = sqs_event([received], QUEUE_ARN, "us-east-1")["Records"]

    assert record["attributes"] == {"ApproximateReceiveCount": "1"} | system_attributes


def test_stream_event_has_lambdas_record_shape_with_binaries_in_base64() -> None:
    created = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)
    received = {
        "eventID": "e-1",
        "eventName": "MODIFY",
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "elsewhere",
        "dynamodb": {
            "ApproximateCreationDateTime": created,
            "Keys": {"id": {"S": "o-1"}},
            "NewImage": {
                "id": {"S": "o-1"},
                "blob": {"B": b"\x01"},
                "nested": {"M": {"list": {"L": [{"B": b"\x02"}, {"N": "1"}]}}},
                "set": {"BS": [b"\x03"]},
            },
            "OldImage": {"id": {"S": "o-1"}},
            "SequenceNumber": "100",
            "SizeBytes": 42,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }

    event = dynamodb_stream_event([received], STREAM_ARN, "us-east-1")

    assert event == {
        "Records": [
            {
                "eventID": "e-1",
                "eventName": "MODIFY",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": int(created.timestamp()),
                    "Keys": {"id": {"S": "o-1"}},
                    "NewImage": {
                        "id": {"S": "o-1"},
                        "blob": {"B": "AQ=="},
                        "nested": {"M": {"list": {"L": [{"B": "Ag=="}, {"N": "1"}]}}},
                        "set": {"BS": ["Aw=="]},
                    },
                    "OldImage": {"id": {"S": "o-1"}},
                    "SequenceNumber": "100",
                    "SizeBytes": 42,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": STREAM_ARN,
            }
        ]
    }


@pytest.mark.parametrize(
    "payload",
    [None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}],
)
def test_responses_that_report_no_failure_mean_complete_success(payload: Any) -> None:
    assert reported_failures(payload, ["a", "b"]) == set()


def test_listed_item_identifiers_are_the_failures() -> None:
    payload = {"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "c"}]}

    assert reported_failures(payload, ["a", "b", "c"]) == {"b", "c"}


@pytest.mark.parametrize(
    "payload",
    [
        "not an object",
        {"batchItemFailures": "b"},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemId": "b"}]},
        {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]},
        {"batchItemFailures": ["b"]},
    ],
)
def test_invalid_responses_fail_the_whole_batch(payload: Any) -> None:
    assert reported_failures(payload, ["a", "b"]) is None
