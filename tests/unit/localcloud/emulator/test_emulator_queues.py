"""The emulator's SQS shortcuts answer as moto does: the retention check on ReceiveMessage
and the clock it reads messages' visibility with."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import Message, SQSBackend, sqs_backends

from localcloud.emulator.patches.queues import (
    MOTO_RETENTION_CHECK,
    MOTO_UNIX_TIME,
    is_message_valid_based_on_retention_period,
    unix_time,
    unix_time_millis,
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


def test_the_fast_clock_reads_now_as_moto_does_and_converts_given_times_the_same() -> None:
    before, ours, after = MOTO_UNIX_TIME(), unix_time(), MOTO_UNIX_TIME()
    given = datetime.datetime(2026, 11, 24, 8, 30, 15, 250_000)

    assert before - 0.001 <= ours <= after + 0.001
    assert unix_time(given) == MOTO_UNIX_TIME(given)
    assert unix_time_millis(given) == MOTO_UNIX_TIME(given) * 1000.0
