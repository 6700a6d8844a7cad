"""The emulator's additions to moto give the shapes AWS documents: FIFO sequence
numbers, the dead-letter source of a redriven message, SNS envelopes signed with
the topic's signature version, and stream records sized as DynamoDB sizes them."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

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


@pytest.fixture(autouse=True)
def emulator_patches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The emulator's patches on in-process moto, undone after each test."""
    monkeypatch.setattr(Queue, "add_message", emulator_queue_attributes.add_message)
    monkeypatch.setattr(SQSResponse, "receive_message", emulator_responses.receive_message)
    monkeypatch.setattr(Subscription, "get_post_data", emulator_notifications.get_post_data)
    monkeypatch.setattr(StreamRecord, "__init__", emulator_stream_records.init)
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
    return [item.record["dynamodb"]["SizeBytes"] for item in table.stream_shard.items]


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
