"""An idle poller's wait on a queue, in the emulator's process: deleting the queue ends
the wait at once with the error a receive from it gets, as the poller's next receive
would; the poller then reports the outage instead of waiting out the rest of its wait."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import SQSBackend, sqs_backends

from localcloud.emulator.patches import waits

REGION = "us-east-1"
ARN = f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT_ID}:waited-on"


@pytest.fixture
def backend() -> Iterator[SQSBackend]:
    waits.install()
    with mock_aws():
        boto3.client("sqs", region_name=REGION).create_queue(QueueName="waited-on")
        yield sqs_backends[DEFAULT_ACCOUNT_ID][REGION]


def until_waiting(lock: threading.Condition, threads: int = 1) -> None:
    """Until `threads` wait on the queue's lock (a condition's waiters are not public)."""
    deadline = time.monotonic() + 5
    while len(lock._waiters) < threads:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the waits never began"
        time.sleep(0.01)


def start_waits(count: int) -> tuple[list[threading.Thread], list[waits.WaitRefused]]:
    """`count` waits on the queue, a thread each; the refusals they end with."""
    refusals: list[waits.WaitRefused] = []

    def wait() -> None:
        try:
            waits._wait_for_queue({"QueueArn": ARN, "WaitSeconds": 20})
        except waits.WaitRefused as refusal:
            refusals.append(refusal)

    threads = [threading.Thread(target=wait, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, refusals


def test_deleting_a_queue_ends_a_wait_on_it_with_the_missing_queue_error(
    backend: SQSBackend,
) -> None:
    lock = backend.get_queue("waited-on")._messages_lock
    [waiting], refusals = start_waits(1)
    until_waiting(lock)
    started = time.monotonic()
    backend.delete_queue("waited-on")
    waiting.join(timeout=5)

    assert not waiting.is_alive(), "still waiting on a deleted queue"
    assert time.monotonic() - started < 2
    assert [refusal.error_type for refusal in refusals] == [
        "AWS.SimpleQueueService.NonExistentQueue"
    ]


def test_a_wait_on_a_queue_that_is_kept_is_still_answered_by_a_send(backend: SQSBackend) -> None:
    answers: list[dict[str, bool]] = []
    waiting = threading.Thread(
        target=lambda: answers.append(waits._wait_for_queue({"QueueArn": ARN, "WaitSeconds": 20})),
        daemon=True,
    )
    waiting.start()
    lock = backend.get_queue("waited-on")._messages_lock
    until_waiting(lock)
    backend.send_message("waited-on", "one")
    waiting.join(timeout=5)

    assert answers == [{"Visible": True}]


def test_a_reset_ends_every_wait_on_a_queue_with_the_missing_queue_error(
    backend: SQSBackend,
) -> None:
    """As `/moto-api/reset` does; left open, each reset's waits held a server thread for
    up to 20 s, and back-to-back resets ran the server out of threads."""
    from moto.moto_api._internal.models import moto_api_backend

    lock = backend.get_queue("waited-on")._messages_lock
    waiting, refusals = start_waits(3)
    until_waiting(lock, threads=3)
    moto_api_backend.reset()
    for thread in waiting:
        thread.join(timeout=5)

    assert not any(thread.is_alive() for thread in waiting), "a wait outlived the reset"
    assert [refusal.error_type for refusal in refusals] == [
        "AWS.SimpleQueueService.NonExistentQueue"
    ] * 3
    assert not waits._queue_waits, "an ended wait is still counted"


def test_a_reset_ends_a_wait_for_stream_changes(backend: SQSBackend) -> None:
    from moto.moto_api._internal.models import moto_api_backend

    stream_arn = f"arn:aws:dynamodb:{REGION}:{DEFAULT_ACCOUNT_ID}:table/t/stream/2026-12-07"
    since = waits._stream_changes[stream_arn.split("/stream/")[0]]
    answers: list[dict[str, int]] = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            waits._wait_for_stream({"StreamArn": stream_arn, "Since": since, "WaitSeconds": 20})
        ),
        daemon=True,
    )
    waiting.start()
    until_waiting(waits._stream_changed)
    started = time.monotonic()
    moto_api_backend.reset()
    waiting.join(timeout=5)

    assert not waiting.is_alive(), "the wait outlived the reset"
    assert time.monotonic() - started < 2
    assert answers == [{"Changes": since}]
