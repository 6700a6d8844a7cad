"""The emulator's remembered serializer work changes no answer: the same calls give
the same responses with it as with moto's own code."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.serialize import AttributePicker, AttributePickerContext, XFormedAttributePicker
from moto.core.utils import get_service_model

from localcloud import emulator_responses

REGION = "us-east-1"
VOLATILE = {
    "MessageId",
    "ReceiptHandle",
    "RequestId",
    "ResponseMetadata",
    "SentTimestamp",
    "ApproximateFirstReceiveTimestamp",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "HTTPHeaders",
}


def without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [without_volatile(item) for item in value]
    return value


def answers_to_a_saga_like_session() -> list[Any]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dead = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])
        url = sqs.create_queue(
            QueueName="orders",
            Attributes={
                "VisibilityTimeout": "30",
                "RedrivePolicy": (
                    f'{{"deadLetterTargetArn": "{dead_arn["Attributes"]["QueueArn"]}", '
                    '"maxReceiveCount": "3"}'
                ),
            },
        )["QueueUrl"]
        answers = [
            sqs.send_message(
                QueueUrl=url,
                MessageBody='{"type": "order.placed"}',
                MessageAttributes={
                    "kind": {"DataType": "String", "StringValue": "order.placed"},
                    "count": {"DataType": "Number", "StringValue": "3"},
                    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
                },
            ),
            sqs.send_message_batch(
                QueueUrl=url,
                Entries=[{"Id": f"m{n}", "MessageBody": f"body {n}"} for n in range(4)],
            ),
        ]
        received = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        answers.append(received)
        answers.append(
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]}
                    for n, message in enumerate(received["Messages"][:2])
                ],
            )
        )
        answers.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))
        answers.append(sqs.list_queues())
        answers.append(sqs.list_dead_letter_source_queues(QueueUrl=dead))
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        cloudwatch.put_metric_data(
            Namespace="PetStore", MetricData=[{"MetricName": "OrdersPlaced", "Value": 2.0}]
        )
        answers.append(cloudwatch.list_metrics(Namespace="PetStore"))
    return [without_volatile(answer) for answer in answers]


def test_answers_are_the_same_with_the_remembered_work_as_with_motos_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    motos = answers_to_a_saga_like_session()
    for picker in (AttributePicker, XFormedAttributePicker):
        monkeypatch.setattr(
            picker,
            "get_possible_keys",
            emulator_responses.remembering(emulator_responses.MOTO_GET_POSSIBLE_KEYS[picker]),
        )

    first, again = answers_to_a_saga_like_session(), answers_to_a_saga_like_session()

    assert first == motos
    assert again == motos  # answered from what the first session remembered
    assert motos[2]["Messages"][0]["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01"


class Queue:
    """Named like moto's SQS queue: moto also looks for `QueueUrl` as `Url` on it."""


@pytest.mark.parametrize("picker", [AttributePicker, XFormedAttributePicker])
def test_each_shape_and_class_of_object_keeps_its_own_candidate_names(
    picker: type[AttributePicker],
) -> None:
    model = get_service_model("sqs")
    shapes = {
        name: model.operation_model(name).output_shape.members["QueueUrl"]
        for name in ("CreateQueue", "GetQueueUrl")
    }
    remembered = emulator_responses.remembering(emulator_responses.MOTO_GET_POSSIBLE_KEYS[picker])
    contexts = [
        AttributePickerContext(obj=obj, key="QueueUrl", shape=shape)
        for shape in shapes.values()
        for obj in (Queue(), {"QueueUrl": "u"})
    ]

    twice = [list(remembered(picker(), context)) for context in contexts * 2]

    motos = [list(emulator_responses.MOTO_GET_POSSIBLE_KEYS[picker](picker(), c)) for c in contexts]
    assert twice == motos * 2
    assert motos[0] != motos[1]  # the class of the object matters
