"""`petstore dlq` on SQS: every dead-letter queue with its depth, its messages with the
error their consumer logged, and redrive back to the source queue."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from petstore_cli.dlq import DeadLetterError, SqsDeadLetters, print_messages, print_queues

REGION = "us-east-1"


@dataclass
class Queues:
    sqs: Any
    logs: Any
    source_url: str
    dlq_url: str

    def dead_letter(self, body: str, attributes: dict[str, Any] | None = None) -> str:
        sent = self.sqs.send_message(
            QueueUrl=self.dlq_url, MessageBody=body, MessageAttributes=attributes or {}
        )
        return str(sent["MessageId"])

    def bodies(self, url: str) -> list[str]:
        messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        return [message["Body"] for message in messages.get("Messages", [])]

    def log_failure(self, function: str, event_id: str, exception: str) -> None:
        group = f"/aws/lambda/{function}"
        self.logs.create_log_group(logGroupName=group)
        self.logs.create_log_stream(logGroupName=group, logStreamName="s")
        line = {
            "level": "ERROR",
            "message": "Event failed; it will be delivered again, then dead-lettered",
            "event_id": event_id,
            "exception": exception,
        }
        self.logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": int(time.time() * 1000), "message": json.dumps(line)}],
        )


@pytest.fixture
def queues() -> Iterator[Queues]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dlq_url = sqs.create_queue(QueueName="petstore-OrderEventsDeadLetterQueue")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        source_url = sqs.create_queue(
            QueueName="petstore-OrderEventsQueue",
            Attributes={
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
            },
        )["QueueUrl"]
        sqs.create_queue(QueueName="unrelated")
        yield Queues(sqs, boto3.client("logs", region_name=REGION), source_url, dlq_url)


def envelope(event_id: str) -> str:
    return json.dumps(
        {"id": event_id, "type": "order.placed", "correlationId": "order-1", "data": {}}
    )


def test_every_queue_named_by_a_redrive_policy_is_listed_with_its_depth(queues: Queues) -> None:
    queues.dead_letter(envelope("e1"))
    queues.dead_letter(envelope("e2"))

    [dlq] = SqsDeadLetters(queues.sqs, queues.logs).queues()

    assert (dlq.name, dlq.sources, dlq.depth) == (
        "petstore-OrderEventsDeadLetterQueue",
        ("petstore-OrderEventsQueue",),
        2,
    )


def test_a_dead_letter_is_shown_with_the_error_its_consumer_logged(queues: Queues) -> None:
    message_id = queues.dead_letter(envelope("e1"))
    queues.log_failure("petstore-Consumer", "e1", "Traceback…\nRuntimeError: payments down")

    [letter] = SqsDeadLetters(queues.sqs, queues.logs).messages("OrderEvents")

    assert letter.message_id == message_id
    assert (letter.event_id, letter.event_type, letter.correlation_id) == (
        "e1",
        "order.placed",
        "order-1",
    )
    assert letter.errors == ("petstore-Consumer: RuntimeError: payments down",)


def test_a_body_that_is_no_event_is_shown_as_unreadable(queues: Queues) -> None:
    queues.dead_letter('{"type": "payment.refunded", "data": 42}')

    [letter] = SqsDeadLetters(queues.sqs, queues.logs).messages("OrderEvents")

    assert letter.errors == (
        "the body is not an event envelope (no id): the consumer could not read it",
    )


def test_showing_leaves_every_message_in_the_queue_and_visible(queues: Queues) -> None:
    queues.dead_letter(envelope("e1"))

    SqsDeadLetters(queues.sqs, queues.logs).messages("OrderEvents")

    assert queues.bodies(queues.dlq_url) == [envelope("e1")]


def test_redrive_moves_every_message_back_to_the_source_with_its_attributes(
    queues: Queues,
) -> None:
    attribute = {"type": {"DataType": "String", "StringValue": "order.placed"}}
    queues.dead_letter(envelope("e1"), attribute)
    queues.dead_letter(envelope("e2"), attribute)

    moved = SqsDeadLetters(queues.sqs, queues.logs).redrive("petstore-OrderEventsDeadLetterQueue")

    assert len(moved) == 2
    assert queues.bodies(queues.dlq_url) == []
    redriven = queues.sqs.receive_message(
        QueueUrl=queues.source_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )["Messages"]
    assert sorted(message["Body"] for message in redriven) == [envelope("e1"), envelope("e2")]
    assert redriven[0]["MessageAttributes"]["type"]["StringValue"] == "order.placed"


def test_redrive_of_one_message_leaves_the_others(queues: Queues) -> None:
    first = queues.dead_letter(envelope("e1"))
    queues.dead_letter(envelope("e2"))

    moved = SqsDeadLetters(queues.sqs, queues.logs).redrive("OrderEvents", message_id=first)

    assert moved == [first]
    assert queues.bodies(queues.source_url) == [envelope("e1")]
    assert queues.bodies(queues.dlq_url) == [envelope("e2")]


@pytest.mark.parametrize("name", ["Queue", "nothing-like-it"])
def test_a_name_that_is_not_one_dead_letter_queue_is_refused(queues: Queues, name: str) -> None:
    queues.sqs.create_queue(QueueName="petstore-OtherDeadLetterQueue")
    queues.sqs.create_queue(
        QueueName="petstore-Other",
        Attributes={
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": f"arn:aws:sqs:{REGION}:123456789012:"
                    "petstore-OtherDeadLetterQueue",
                    "maxReceiveCount": 3,
                }
            )
        },
    )

    with pytest.raises(DeadLetterError):
        SqsDeadLetters(queues.sqs, queues.logs).messages(name)


def test_an_unknown_message_is_not_redriven(queues: Queues) -> None:
    queues.dead_letter(envelope("e1"))

    with pytest.raises(DeadLetterError, match="No message nope"):
        SqsDeadLetters(queues.sqs, queues.logs).redrive("OrderEvents", message_id="nope")

    assert queues.bodies(queues.dlq_url) == [envelope("e1")]


def test_the_listing_and_the_messages_print_for_a_person(queues: Queues) -> None:
    queues.dead_letter(envelope("e1"))
    dead_letters = SqsDeadLetters(queues.sqs, queues.logs)
    printed: list[str] = []

    print_queues(dead_letters.queues(), printed.append)
    print_messages("OrderEvents", dead_letters.messages("OrderEvents"), printed.append)

    assert printed[0].split() == ["DEAD-LETTER", "QUEUE", "DEPTH", "SOURCE"]
    assert printed[1].split() == [
        "petstore-OrderEventsDeadLetterQueue",
        "1",
        "petstore-OrderEventsQueue",
    ]
    assert "OrderEvents: 1 message" in printed
    assert "  event      order.placed (order order-1)" in printed
    assert "  error      not found in the functions' logs" in printed
