"""The emulator's waits for idle pollers: answered as soon as there is something to read,
they only look (a message waited for is received afterwards as if never waited for), and
only the local cloud may use them."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.client import HTTPConnection
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from localcloud.emulator.process import Emulator, free_port, start_emulator
from localcloud.emulator.waits import SQS_WAIT_PATH, STREAM_WAIT_PATH, Waits

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

pytestmark = pytest.mark.integration

REGION = "us-east-1"


@pytest.fixture
def sqs(emulator: Emulator) -> SQSClient:
    return boto3.client("sqs", endpoint_url=emulator.endpoint_url, region_name=REGION)


@pytest.fixture
def dynamodb(emulator: Emulator) -> DynamoDBClient:
    return boto3.client("dynamodb", endpoint_url=emulator.endpoint_url, region_name=REGION)


def queue_arn(sqs: SQSClient, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def test_a_wait_on_an_empty_queue_is_answered_by_a_send_and_receives_nothing(
    emulator: Emulator, sqs: SQSClient
) -> None:
    url = sqs.create_queue(QueueName=f"w-{uuid.uuid4().hex}")["QueueUrl"]
    waits = Waits(emulator.endpoint_url)
    answers: list[tuple[bool, float]] = []

    def wait() -> None:
        started = time.monotonic()
        answers.append((waits.for_messages(queue_arn(sqs, url), 15), time.monotonic() - started))

    waiting = threading.Thread(target=wait)
    waiting.start()
    sqs.send_message(QueueUrl=url, MessageBody="one")
    waiting.join(timeout=10)

    assert answers and answers[0][0] is True
    assert answers[0][1] < 10, "answered by the send, not by the end of the wait"
    received = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])
    assert received["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "1"


def test_a_wait_ends_unanswered_after_its_seconds_and_sees_messages_in_flight_come_back(
    emulator: Emulator, sqs: SQSClient
) -> None:
    url = sqs.create_queue(QueueName=f"w-{uuid.uuid4().hex}")["QueueUrl"]
    waits = Waits(emulator.endpoint_url)
    arn = queue_arn(sqs, url)
    assert waits.for_messages(arn, 0.2) is False
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)

    # In flight: not receivable until its visibility timeout ends, which nothing announces.
    started = time.monotonic()
    assert waits.for_messages(arn, 10) is True
    assert 0.5 < time.monotonic() - started < 5


def test_a_stream_wait_is_answered_by_the_tables_next_record(
    emulator: Emulator, dynamodb: DynamoDBClient
) -> None:
    name = f"w-{uuid.uuid4().hex}"
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    stream_arn = table["LatestStreamArn"]
    waits = Waits(emulator.endpoint_url)
    now = waits.for_stream_changes(stream_arn, None, 10)
    assert now == 0
    assert waits.for_stream_changes(stream_arn, now, 0.2) == now

    dynamodb.put_item(TableName=name, Item={"id": {"S": "a"}})

    started = time.monotonic()
    assert waits.for_stream_changes(stream_arn, now, 10) == 1
    assert time.monotonic() - started < 2
    dynamodb.delete_table(TableName=name)


def test_a_wait_on_a_missing_queue_fails_as_receiving_from_it_would(emulator: Emulator) -> None:
    waits = Waits(emulator.endpoint_url)

    with pytest.raises(ClientError) as refused:
        waits.for_messages(f"arn:aws:sqs:{REGION}:123456789012:no-such-queue", 1)

    assert refused.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_back_to_back_resets_end_the_waits_open_at_each() -> None:
    """Each reset ends the waits of the pollers it stops, with the error a receive from
    the queue it removed gets. While each reset's waits held a server thread for their
    20 s, back-to-back resets ran the server's 128 threads out and a reset timed out."""
    emulator = start_emulator(port=free_port())
    endpoint = urlsplit(emulator.endpoint_url)
    try:
        sqs = boto3.client("sqs", endpoint_url=emulator.endpoint_url, region_name=REGION)
        for _ in range(4):
            arn = queue_arn(sqs, sqs.create_queue(QueueName="reset-between")["QueueUrl"])
            body = json.dumps({"QueueArn": arn, "WaitSeconds": 20})
            waits = [HTTPConnection(endpoint.hostname, endpoint.port, timeout=5) for _ in range(40)]
            for connection in waits:
                connection.request(
                    "POST", SQS_WAIT_PATH, body, {**emulator.access.control_headers(),
                                                  "Content-Type": "application/json"}
                )  # fmt: skip
            # Answered after the waits sent before it were taken up by the server's threads.
            requests.get(
                f"{emulator.endpoint_url}/moto-api/",
                headers=emulator.access.control_headers(),
                timeout=10,
            )
            started = time.monotonic()
            emulator.reset()
            answers = [json.loads(connection.getresponse().read()) for connection in waits]

            assert time.monotonic() - started < 5
            assert {answer["__type"] for answer in answers} == {
                "AWS.SimpleQueueService.NonExistentQueue"
            }
            for connection in waits:
                connection.close()
    finally:
        emulator.stop()


@pytest.mark.parametrize("path", [SQS_WAIT_PATH, STREAM_WAIT_PATH])
def test_the_waits_are_the_local_clouds_own(emulator: Emulator, path: str) -> None:
    answer = requests.post(f"{emulator.endpoint_url}{path}", json={"WaitSeconds": 0}, timeout=10)

    assert answer.status_code == 403


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"QueueArn": "not-an-arn", "WaitSeconds": 1}',
     b'{"QueueArn": "arn:aws:sqs:us-east-1:123456789012:q", "WaitSeconds": "1"}'],
)  # fmt: skip
def test_a_malformed_wait_is_refused(emulator: Emulator, body: bytes) -> None:
    answer = requests.post(
        f"{emulator.endpoint_url}{SQS_WAIT_PATH}",
        data=body,
        headers=emulator.access.control_headers(),
        timeout=10,
    )

    assert answer.status_code == 400
    assert answer.json()["__type"] == "ValidationException"
