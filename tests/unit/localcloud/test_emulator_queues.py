"""The emulator's retention check on ReceiveMessage answers as moto's own does."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import Message, SQSBackend, sqs_backends

from localcloud.emulator_queues import (
    MOTO_RETENTION_CHECK,
    is_message_valid_based_on_retention_period,
)

REGION = "us-east-1"
RETENTION_S = 60


@pytest.fixture
def backend() -> Iterator[SQSBackend]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(
            QueueName="kept", Attributes={"MessageRetentionPeriod": str(RETENTION_S)}
        )["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        yield sqs_backends[DEFAULT_ACCOUNT_ID][REGION]


def only_message(backend: SQSBackend) -> Message:
    (message,) = backend.get_queue("kept")._messages
    return message


@pytest.mark.parametrize("age_s", [0, RETENTION_S - 5, RETENTION_S + 5, 10 * RETENTION_S])
def test_the_retention_check_agrees_with_moto_for_messages_of_any_age(
    backend: SQSBackend, age_s: int
) -> None:
    message = only_message(backend)
    message.sent_timestamp = int(message.sent_timestamp or 0) - age_s * 1000

    ours = is_message_valid_based_on_retention_period(backend, "kept", message)

    assert ours == MOTO_RETENTION_CHECK(backend, "kept", message)
    assert ours == (age_s < RETENTION_S)
