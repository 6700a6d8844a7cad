"""The emulator's additions to moto give the shapes AWS documents: FIFO sequence
numbers, the dead-letter source of a redriven message, SNS envelopes signed with
the topic's signature version, and stream records sized as DynamoDB sizes them (and
served as moto made them, though kept as their JSON text)."""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import StreamRecord
from moto.sns.models import Subscription, sns_backends
from moto.sqs.models import Queue
from moto.sqs.responses import SQSResponse

from localcloud.emulator.patches import notifications as emulator_notifications
from localcloud.emulator.patches import queue_attributes as emulator_queue_attributes
from localcloud.emulator.patches import responses as emulator_responses
from localcloud.emulator.patches import stream_records as emulator_stream_records

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

REGION = "us-east-1"
MOTO_TO_JSON = StreamRecord.to_json


@pytest.fixture(autouse=True)
def emulator_patches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The emulator's patches on in-process moto, undone after each test."""
    monkeypatch.setattr(Queue, "add_message", emulator_queue_attributes.add_message)
    monkeypatch.setattr(SQSResponse, "receive_message", emulator_responses.receive_message)
    monkeypatch.setattr(Subscription, "get_post_data", emulator_notifications.get_post_data)
    monkeypatch.setattr(StreamRecord, "__init__", emulator_stream_records.init)
    monkeypatch.setattr(StreamRecord, "to_json", emulator_stream_records.to_json)
    with mock_aws():
        yield


@pytest.fixture
def sqs() -> SQSClient:
    return boto3.client("sqs", region_name=REGION)


def queue_arn(sqs: SQSClient, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def test_fifo_messages_carry_increasing_sequence_numbers_under_content_based_deduplication(
    sqs: SQSClient,
) -> None:
    url = sqs.create_queue(
        QueueName="orders.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    sent = [
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")["SequenceNumber"]
        for body in ("first", "second")
    ]

    received = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])
    (message,) = received["Messages"]

    assert message["Attributes"]["SequenceNumber"] == sent[0]
    assert message["Attributes"]["MessageGroupId"] == "g"
    assert message["Attributes"]["MessageDeduplicationId"]
    assert len(sent[0]) == 20 and int(sent[0]) < int(sent[1])


def test_a_redriven_message_names_its_source_queue_when_received_from_the_dlq(
    sqs: SQSClient,
) -> None:
    dlq_url = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    policy = {"deadLetterTargetArn": queue_arn(sqs, dlq_url), "maxReceiveCount": 1}
    source_url = sqs.create_queue(
        QueueName="orders", Attributes={"RedrivePolicy": json.dumps(policy)}
    )["QueueUrl"]
    sqs.send_message(QueueUrl=source_url, MessageBody="poison")
    for _ in range(2):  # the second receive moves it
        sqs.receive_message(QueueUrl=source_url, VisibilityTimeout=0)

    asked = sqs.receive_message(
        QueueUrl=dlq_url, MessageSystemAttributeNames=["All"], VisibilityTimeout=0
    )
    not_asked = sqs.receive_message(QueueUrl=dlq_url, MessageSystemAttributeNames=["SenderId"])

    assert asked["Messages"][0]["Attributes"]["DeadLetterQueueSourceArn"] == queue_arn(
        sqs, source_url
    )
    assert "DeadLetterQueueSourceArn" not in not_asked["Messages"][0]["Attributes"]


def test_a_message_sent_straight_to_a_queue_has_no_dead_letter_source(sqs: SQSClient) -> None:
    url = sqs.create_queue(QueueName="plain")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")

    (message,) = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"]

    assert "DeadLetterQueueSourceArn" not in message["Attributes"]


def sns_envelope(sqs: SQSClient, topic_attributes: dict[str, str]) -> dict[str, str]:
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="events", Attributes=topic_attributes)["TopicArn"]
    url = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, url))
    sns.publish(TopicArn=topic, Message="hello", Subject="greeting")
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    envelope: dict[str, str] = json.loads(message["Body"])
    return envelope


def signing_key(envelope: dict[str, str]) -> rsa.RSAPublicKey:
    key_name = envelope["SigningCertURL"].rsplit("/", 1)[1]
    pem = sns_backends[DEFAULT_ACCOUNT_ID][REGION]._message_public_keys[key_name]
    key = x509.load_pem_x509_certificate(pem).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    return key


def test_sns_envelopes_are_signature_version_1_signed_with_sha1_by_default(
    sqs: SQSClient,
) -> None:
    envelope = sns_envelope(sqs, {})

    assert envelope["SignatureVersion"] == "1"
    signed = emulator_notifications.string_to_sign(envelope).encode()
    signature = base64.b64decode(envelope["Signature"])
    signing_key(envelope).verify(signature, signed, padding.PKCS1v15(), hashes.SHA1())


def test_a_topic_set_to_signature_version_2_signs_with_sha256(sqs: SQSClient) -> None:
    envelope = sns_envelope(sqs, {"SignatureVersion": "2"})

    assert envelope["SignatureVersion"] == "2"


def stream_sizes(table_name: str) -> list[int]:
    """The sizes of the table's stream records, read from moto's stream shard."""
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table_name)
    assert table.stream_shard is not None
    return [item.to_json()["dynamodb"]["SizeBytes"] for item in table.stream_shard.items]


@pytest.mark.parametrize(
    ("view_type", "sizes"),
    [
        # AWS's example: Keys {Id: 101}; NewImage {Message: "New item!", Id: 101} is 26,
        # then NewImage {Message: "This item has changed", Id: 101} with the old image is 59.
        ("NEW_AND_OLD_IMAGES", [26, 59]),
        ("NEW_IMAGE", [26, 38]),
        ("KEYS_ONLY", [5, 5]),
    ],
)
def test_stream_records_are_sized_as_dynamodb_counts_item_size(
    view_type: str, sizes: list[int]
) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="Messages",
        KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type},  # type: ignore[typeddict-item]
    )
    for message in ("New item!", "This item has changed"):
        dynamodb.put_item(
            TableName="Messages", Item={"Id": {"N": "101"}, "Message": {"S": message}}
        )

    assert stream_sizes("Messages") == sizes


EVERY_TYPE = {
    "pk": {"S": "ORDER#1"},
    "sk": {"S": "LINE#1"},
    "total": {"N": "12.50"},
    "photo": {"B": b"\x89PNG\r\n"},
    "paid": {"BOOL": True},
    "note": {"NULL": True},
    "lines": {"L": [{"M": {"pet": {"S": "Rex"}, "price": {"N": "12.5"}}}, {"B": b"\x01"}]},
    "address": {"M": {"city": {"S": "Zürich"}, "zip": {"N": "8000"}}},
    "tags": {"SS": ["a", "b"]},
    "sizes": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [b"\x02", b"\x03"]},
}


def streamed_records(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    """The table's records as a GetRecords call answers: moto's response serialiser and
    botocore's parser on top of what the stream keeps."""
    streams = boto3.client(
        "dynamodbstreams",
        region_name=REGION,
        # moto in-process knows the service by its former host name.
        endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com",
    )
    arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records: list[dict[str, Any]] = streams.get_records(ShardIterator=iterator)["Records"]
    for record in records:
        record["dynamodb"].pop("SizeBytes")  # moto's own is its JSON's length
        record.pop("eventID")  # random
        made = record["dynamodb"].pop("ApproximateCreationDateTime")
        assert abs(made.timestamp() - time.time()) < 60
    return records


def write_every_kind_of_change(
    table_name: str, view_type: str, item: dict[str, Any] = EVERY_TYPE
) -> list[dict[str, Any]]:
    key_type = next(iter(item["sk"]))
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=table_name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": key_type},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type},  # type: ignore[typeddict-item]
    )
    dynamodb.put_item(TableName=table_name, Item=item)
    dynamodb.put_item(TableName=table_name, Item={**item, "paid": {"BOOL": False}})
    dynamodb.delete_item(TableName=table_name, Key={"pk": item["pk"], "sk": item["sk"]})
    return streamed_records(dynamodb, table_name)


@pytest.mark.parametrize("view_type", ["NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY"])
def test_a_stream_record_kept_as_text_is_served_as_moto_made_it(
    view_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = write_every_kind_of_change("Kept", view_type)
    monkeypatch.setattr(StreamRecord, "__init__", emulator_stream_records.MOTO_INIT)
    monkeypatch.setattr(StreamRecord, "to_json", MOTO_TO_JSON)
    by_moto = write_every_kind_of_change("Moto", view_type)

    assert [record["eventName"] for record in kept] == ["INSERT", "MODIFY", "REMOVE"]
    assert kept == by_moto


@pytest.mark.parametrize("view_type", ["NEW_AND_OLD_IMAGES", "KEYS_ONLY"])
def test_a_binary_key_is_served_as_its_bytes(view_type: str) -> None:
    """moto's own records hold a binary key as base64 text, which reached the caller
    encoded twice."""
    records = write_every_kind_of_change(
        "Binary", view_type, {**EVERY_TYPE, "sk": {"B": b"\x00\xffkey"}}
    )

    assert [record["dynamodb"]["Keys"]["sk"] for record in records] == [{"B": b"\x00\xffkey"}] * 3


def deep_size(value: Any) -> int:
    """Bytes held by `value` and everything it holds (dicts, lists and their contents)."""
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(deep_size(key) + deep_size(item) for key, item in value.items())
    elif isinstance(value, list | tuple):
        size += sum(deep_size(item) for item in value)
    return size


def test_a_stream_record_is_kept_in_under_a_third_of_the_memory_of_moto_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_every_kind_of_change("Kept", "NEW_AND_OLD_IMAGES")
    monkeypatch.setattr(StreamRecord, "__init__", emulator_stream_records.MOTO_INIT)
    write_every_kind_of_change("Moto", "NEW_AND_OLD_IMAGES")
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]

    def held(table_name: str) -> int:
        shard = backend.get_table(table_name).stream_shard
        assert shard is not None
        return sum(deep_size(vars(record)) for record in shard.items)

    assert held("Kept") * 3 < held("Moto")
