"""Every event the local cloud builds, validated field by field against Powertools'
parser models: pydantic models of each AWS event, with every field AWS documents, its
type and whether it is required. A handler that parses its event with Powertools gets
from the local cloud what it gets from AWS."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser import models
from pydantic import BaseModel

from localcloud.apigateway.messages import ReceivedRequest
from localcloud.apigateway.proxy import StageContext, proxy_event
from localcloud.apigateway.routes import RouteTable
from localcloud.event_sources.dynamodb_streams.events import dynamodb_stream_event
from localcloud.event_sources.kafka.events import KafkaRecord, msk_event
from localcloud.event_sources.kafka.mapping import KafkaMapping
from localcloud.event_sources.sqs.events import sqs_event
from localcloud.model import RestApiSettings, Route

REGION = "eu-west-1"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:123456789012:orders-queue"
STREAM_ARN = f"arn:aws:dynamodb:{REGION}:123456789012:table/orders/stream/2026-12-04T00:00:00.000"
CLUSTER_ARN = f"arn:aws:kafka:{REGION}:123456789012:cluster/events/abc-1"


def assert_valid(model: type[BaseModel], event: dict[str, Any]) -> BaseModel:
    """Strict where Powertools is: a missing required field or a wrong type fails."""
    return model.model_validate(json.loads(json.dumps(event)))


def sqs_message(**extra: Any) -> dict[str, Any]:
    """A message as ReceiveMessage returns it with every attribute asked for."""
    return {
        "MessageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "ReceiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "MD5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "Body": '{"type": "order.placed"}',
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
            "AWSTraceHeader": "Root=1-5e1b4151-5ac6c58f5b321c2b5ad8f0e1",
        },
        **extra,
    }


def test_an_sqs_event_is_a_powertools_sqs_model() -> None:
    event = sqs_event([sqs_message()], QUEUE_ARN, REGION)

    parsed = assert_valid(models.SqsModel, event)

    assert isinstance(parsed, models.SqsModel)
    [record] = parsed.Records
    assert (record.eventSource, record.eventSourceARN, record.awsRegion) == (
        "aws:sqs",
        QUEUE_ARN,
        REGION,
    )
    assert record.attributes.AWSTraceHeader == "Root=1-5e1b4151-5ac6c58f5b321c2b5ad8f0e1"


def test_an_sqs_event_with_message_attributes_and_fifo_fields_is_a_powertools_sqs_model() -> None:
    message = sqs_message(
        MD5OfMessageAttributes="d25a6aea97eb8f585bfa92d314504a92",
        MessageAttributes={
            "type": {"StringValue": "order.placed", "DataType": "String"},
            "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"},
        },
    )
    message["Attributes"] |= {
        "SequenceNumber": "18849496460467696128",
        "MessageGroupId": "order-1",
        "MessageDeduplicationId": "event-1",
    }

    parsed = assert_valid(models.SqsModel, sqs_event([message], QUEUE_ARN, REGION))

    assert isinstance(parsed, models.SqsModel)
    [record] = parsed.Records
    assert record.md5OfMessageAttributes == "d25a6aea97eb8f585bfa92d314504a92"
    assert record.attributes.MessageGroupId == "order-1"
    assert record.messageAttributes["type"].stringValue == "order.placed"
    assert record.messageAttributes["blob"].binaryValue == base64.b64encode(b"\x00\x01").decode()


@pytest.mark.parametrize(
    ("event_name", "change"),
    [
        ("INSERT", {"NewImage": {"pk": {"S": "ORDER#1"}, "total": {"N": "12.50"}}}),
        (
            "MODIFY",
            {
                "NewImage": {"pk": {"S": "ORDER#1"}, "blob": {"B": b"\x01"}},
                "OldImage": {"pk": {"S": "ORDER#1"}, "tags": {"SS": ["a"]}},
            },
        ),
        ("REMOVE", {"OldImage": {"pk": {"S": "ORDER#1"}, "items": {"L": [{"M": {}}]}}}),
    ],
)
def test_a_dynamodb_stream_event_is_a_powertools_stream_model(
    event_name: str, change: dict[str, Any]
) -> None:
    record = {
        "eventID": "c4ca4238a0b923820dcc509a6f75849b",
        "eventName": event_name,
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 12, 4, tzinfo=UTC),
            "Keys": {"pk": {"S": "ORDER#1"}},
            "SequenceNumber": "4421584500000000017450439091",
            "SizeBytes": 26,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            **change,
        },
    }

    parsed = assert_valid(
        models.DynamoDBStreamModel, dynamodb_stream_event([record], STREAM_ARN, REGION)
    )

    assert isinstance(parsed, models.DynamoDBStreamModel)
    [shaped] = parsed.Records
    assert (shaped.eventName, shaped.eventSourceARN, shaped.awsRegion) == (
        event_name,
        STREAM_ARN,
        REGION,
    )
    assert shaped.dynamodb is not None and shaped.dynamodb.SizeBytes == 26


def kafka_record(offset: int, key: bytes | None = b"order-1") -> KafkaRecord:
    return KafkaRecord(
        topic="orders",
        partition=0,
        offset=offset,
        timestamp_ms=1_764_806_400_000,
        timestamp_type="CREATE_TIME",
        key=key,
        value=b'{"type": "order.placed"}',
        headers=(("event-type", b"order.placed"),),
    )


def test_an_msk_event_is_a_powertools_msk_model() -> None:
    mapping = KafkaMapping(
        function="Consumer", topic="orders", consumer_group="g", event_source_arn=CLUSTER_ARN
    )
    event = msk_event([kafka_record(0), kafka_record(1, key=None)], mapping, "b-1:9098")

    parsed = assert_valid(models.KafkaMskEventModel, event)

    assert isinstance(parsed, models.KafkaMskEventModel)
    assert (parsed.eventSource, parsed.eventSourceArn) == ("aws:kafka", CLUSTER_ARN)
    records = parsed.records["orders-0"]
    assert [record.offset for record in records] == [0, 1]
    assert records[0].key == b"order-1"
    assert records[0].headers == [{"event-type": b"order.placed"}]


def test_a_self_managed_kafka_event_is_a_powertools_self_managed_model() -> None:
    mapping = KafkaMapping(
        function="Consumer", topic="orders", consumer_group="g", event_source="SelfManagedKafka"
    )

    parsed = assert_valid(
        models.KafkaSelfManagedEventModel, msk_event([kafka_record(0)], mapping, "k:9092")
    )

    assert isinstance(parsed, models.KafkaSelfManagedEventModel)
    assert parsed.eventSource == "SelfManagedKafka"


@pytest.mark.parametrize(
    ("method", "target", "headers", "body", "claims"),
    [
        ("GET", "/pets/p-1?limit=5&tag=a&tag=b", [("Accept", "application/json")], b"", None),
        (
            "POST",
            "/pets/p-1",
            [("Content-Type", "application/json"), ("Authorization", "Bearer x")],
            b'{"name": "Rex"}',
            {"sub": "u-1", "cognito:groups": "admin"},
        ),
        ("PUT", "/pets/p-1", [("Content-Type", "image/png")], b"\x89PNG", None),
    ],
)
def test_a_rest_proxy_event_is_a_powertools_api_gateway_model(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    claims: dict[str, str] | None,
) -> None:
    route = Route(
        method="ANY",
        path="/pets/{petId}",
        function="PetFunction",
        auth="COGNITO" if claims else "NONE",
        api=RestApiSettings(api_id="a1b2c3d4e5", binary_media_types=("image/png",)),
    )
    request = ReceivedRequest(
        method=method,
        target=target,
        headers=[("Host", "127.0.0.1:3000"), *headers],
        body=body,
        source_ip="127.0.0.1",
        server_port=3000,
    )
    matched = RouteTable([route]).match(method, request.segments)
    assert matched is not None
    compiled, parameters = matched

    event = proxy_event(
        request,
        compiled,
        parameters,
        StageContext(stage="Prod", account_id="123456789012"),
        request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        identity=None,
        claims=claims,
    )
    parsed = assert_valid(models.APIGatewayProxyEventModel, event)

    assert isinstance(parsed, models.APIGatewayProxyEventModel)
    assert parsed.httpMethod == method
    assert parsed.pathParameters == {"petId": "p-1"}
    assert parsed.requestContext.apiId == "a1b2c3d4e5"
    assert parsed.requestContext.stage == "Prod"
    assert parsed.isBase64Encoded == (method == "PUT")
    if claims:
        assert parsed.requestContext.authorizer is not None
        assert parsed.requestContext.authorizer.claims == claims
