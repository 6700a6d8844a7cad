"""The SQS event source mapping against the emulator: batches, the batching window and
the 6 MB payload cap, filter criteria, partial batch responses, redrive to the
dead-letter queue, and outages."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from localcloud.emulator.clients import EmulatorClients
from localcloud.emulator.process import Emulator, free_port
from localcloud.emulator.waits import Waits
from localcloud.event_sources.batching import MAX_PAYLOAD_BYTES
from localcloud.event_sources.filtering import parse_patterns
from localcloud.event_sources.sqs import poller as sqs_poller
from localcloud.event_sources.sqs.mapping import SqsMapping
from localcloud.event_sources.sqs.poller import SqsPoller
from localcloud.lambda_.invoker import Invoker
from localcloud.lambda_.logs import LogSink
from support.poller_calls import aws_calls, calls_of
from support.runtime_invoker import REGION, runtime_invoker, wait_for

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

pytestmark = pytest.mark.integration

HANDLERS = {
    "ReportFailures": "app.report_failures",
    "ReportInvalid": "app.report_invalid",
    "AllOrNothing": "app.all_or_nothing",
    "ShowEvent": "app.show_event",
    "Meet": "app.meet",
    "ShowSizes": "app.show_sizes",
}


@dataclass(frozen=True)
class Queue:
    url: str
    arn: str


@pytest.fixture
def sqs(emulator: Emulator) -> SQSClient:
    return boto3.client("sqs", endpoint_url=emulator.endpoint_url, region_name=REGION)


@pytest.fixture
def invoker(emulator: Emulator, sink: LogSink) -> Iterator[Invoker]:
    yield from runtime_invoker(emulator, sink, "sqs_consumer", HANDLERS)


@pytest.fixture
def make_queue(sqs: SQSClient) -> Iterator[Callable[..., Queue]]:
    created: list[str] = []

    def make(
        *, visibility_timeout: int = 1, dead_letter: Queue | None = None, fifo: bool = False
    ) -> Queue:
        attributes: dict[QueueAttributeNameType, str] = {
            "VisibilityTimeout": str(visibility_timeout)
        }
        if fifo:
            attributes |= {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
        if dead_letter is not None:
            policy = {"deadLetterTargetArn": dead_letter.arn, "maxReceiveCount": 2}
            attributes["RedrivePolicy"] = json.dumps(policy)
        name = f"q-{uuid.uuid4().hex}" + (".fifo" if fifo else "")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        created.append(url)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        return Queue(url, arn["QueueArn"])

    yield make
    for url in created:
        sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def start_poller(emulator: Emulator, invoker: Invoker) -> Iterator[Callable[..., SqsPoller]]:
    started: list[SqsPoller] = []

    def start(
        queue: Queue, function: str, endpoint_url: str | None = None, **options: Any
    ) -> SqsPoller:
        mapping = SqsMapping(function=function, queue_url=queue.url, queue_arn=queue.arn, **options)
        poller = SqsPoller(
            mapping,
            invoker.invoke,
            endpoint_url=endpoint_url or emulator.endpoint_url,
            region=REGION,
        )
        poller.start()
        started.append(poller)
        return poller

    yield start
    for poller in started:
        poller.stop()


def send(sqs: SQSClient, queue: Queue, *bodies: str) -> list[str]:
    """The messages' ids, in the order of their bodies."""
    entries: list[SendMessageBatchRequestEntryTypeDef] = [
        {"Id": str(index), "MessageBody": body} for index, body in enumerate(bodies)
    ]
    sent = sqs.send_message_batch(QueueUrl=queue.url, Entries=entries)["Successful"]
    return [entry["MessageId"] for entry in sorted(sent, key=lambda entry: int(entry["Id"]))]


def failure_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "SQS message" in record.getMessage()
    ]


def messages_in(sqs: SQSClient, queue: Queue) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def receive_bodies(sqs: SQSClient, queue: Queue, wait_s: int = 3) -> list[str]:
    response = sqs.receive_message(
        QueueUrl=queue.url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_s
    )
    return sorted(message["Body"] for message in response.get("Messages", []))


def processed(sink: LogSink, function: str) -> list[str]:
    prefix = "processed "
    return sorted(line[len(prefix) :] for line in sink.lines(function) if line.startswith(prefix))


def events(sink: LogSink) -> list[dict[str, Any]]:
    """The events the ShowEvent function printed, one per invocation."""
    return [json.loads(line) for line in sink.lines("ShowEvent") if line.startswith("{")]


def test_a_successful_batch_is_deleted_from_the_queue(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    queue = make_queue()
    send(sqs, queue, "a", "b", "c")

    start_poller(queue, "AllOrNothing")

    wait_for(lambda: processed(sink, "AllOrNothing") == ["a", "b", "c"])
    wait_for(lambda: messages_in(sqs, queue) == 0)


def test_the_event_has_lambdas_sqs_shape(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    queue = make_queue()
    sent = sqs.send_message(
        QueueUrl=queue.url,
        MessageBody="hello",
        MessageAttributes={"type": {"DataType": "String", "StringValue": "order.placed"}},
    )

    start_poller(queue, "ShowEvent")

    wait_for(lambda: bool(events(sink)))
    (record,) = events(sink)[0]["Records"]
    assert record["body"] == "hello"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue.arn
    assert record["awsRegion"] == REGION
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert record["messageAttributes"] == {
        "type": {
            "stringValue": "order.placed",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert record["md5OfBody"] and record["messageId"] and record["receiptHandle"]
    assert record["md5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]


def test_a_fifo_message_redriven_to_its_dlq_reaches_the_dlq_consumer_with_its_origins(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    # Given a FIFO message received as often as its queue's redrive policy allows
    dead_letter = make_queue(fifo=True)
    source = make_queue(fifo=True, dead_letter=dead_letter)
    sqs.send_message(QueueUrl=source.url, MessageBody="poison", MessageGroupId="g-1")
    for _ in range(3):  # the third receive moves it to the dead-letter queue
        sqs.receive_message(QueueUrl=source.url, VisibilityTimeout=0)

    # When the dead-letter queue's consumer receives it
    start_poller(dead_letter, "ShowEvent")

    # Then the record says which group, which place in it, and which queue it came from
    wait_for(lambda: bool(events(sink)))
    (record,) = events(sink)[0]["Records"]
    attributes = record["attributes"]
    assert attributes["MessageGroupId"] == "g-1"
    assert attributes["MessageDeduplicationId"]
    assert attributes["SequenceNumber"].isdigit()
    assert attributes["DeadLetterQueueSourceArn"] == source.arn
    assert record["md5OfMessageAttributes"] is None


def test_messages_arriving_within_the_batching_window_share_one_invocation(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    queue = make_queue()
    start_poller(queue, "ShowEvent", batch_size=3, batching_window_s=2.0, maximum_concurrency=1)

    for body in ("one", "two", "three"):
        sqs.send_message(QueueUrl=queue.url, MessageBody=body)

    wait_for(lambda: bool(events(sink)))
    records = events(sink)[0]["Records"]
    assert sorted(record["body"] for record in records) == ["one", "three", "two"]


def test_a_message_visible_again_within_the_batching_window_is_in_the_batch_once(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    # Given a queue that hides a received message for less than the mapping's window
    queue = make_queue(visibility_timeout=1)
    send(sqs, queue, "only")

    start_poller(queue, "ShowEvent", batch_size=10, batching_window_s=2.0, maximum_concurrency=1)

    wait_for(lambda: bool(events(sink)))
    (record,) = events(sink)[0]["Records"]
    assert record["body"] == "only"
    wait_for(lambda: messages_in(sqs, queue) == 0)


def test_a_message_arriving_after_the_window_closed_starts_the_next_batch_alone(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    queue = make_queue(visibility_timeout=30)
    send(sqs, queue, "one", "two")
    start_poller(queue, "ShowEvent", batch_size=10, batching_window_s=1.0, maximum_concurrency=1)
    wait_for(lambda: len(events(sink)) == 1)

    send(sqs, queue, "three")

    wait_for(lambda: len(events(sink)) == 2)
    first, second = ([r["body"] for r in event["Records"]] for event in events(sink))
    assert sorted(first) == ["one", "two"]
    assert second == ["three"]
    wait_for(lambda: messages_in(sqs, queue) == 0)


def sizes(sink: LogSink) -> list[dict[str, Any]]:
    """What the ShowSizes function printed, one per invocation."""
    return [json.loads(line) for line in sink.lines("ShowSizes") if line.startswith("{")]


def test_a_batch_closes_before_six_megabytes_and_the_overflow_comes_next_exactly_once(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    # Given ten messages of about 1 MB: ten records would make a 10 MB event
    queue = make_queue(visibility_timeout=60)
    tags = [f"m{index}" for index in range(10)]
    for tag in tags:
        sqs.send_message(QueueUrl=queue.url, MessageBody=f"{tag}|" + "x" * 1_000_000)

    # When a mapping with BatchSize 10 reads them
    start_poller(queue, "ShowSizes", batch_size=10, maximum_concurrency=1)

    # Then they arrive over more than one invocation, each within the quota, each once
    wait_for(lambda: sum(len(batch["tags"]) for batch in sizes(sink)) >= 10, timeout_s=60)
    wait_for(lambda: messages_in(sqs, queue) == 0, timeout_s=30)
    batches = sizes(sink)
    assert len(batches) > 1
    assert all(batch["event_bytes"] <= MAX_PAYLOAD_BYTES for batch in batches)
    assert sorted(tag for batch in batches for tag in batch["tags"]) == tags


ORDER_PLACED = {"body": {"type": ["order.placed"]}}


def test_only_messages_matching_a_filter_reach_the_function_and_all_leave_the_queue(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    queue = make_queue(visibility_timeout=30)
    placed = json.dumps({"type": "order.placed", "order": "o-1"})
    send(sqs, queue, placed, json.dumps({"type": "order.paid"}), "order.placed as text")

    start_poller(
        queue,
        "ShowEvent",
        maximum_concurrency=1,
        filters=parse_patterns({"Filters": [{"Pattern": json.dumps(ORDER_PLACED)}]}),
    )

    wait_for(lambda: bool(events(sink)))
    wait_for(lambda: messages_in(sqs, queue) == 0)
    assert [record["body"] for event in events(sink) for record in event["Records"]] == [placed]


def test_a_message_matching_no_filter_is_deleted_without_an_invocation(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    queue = make_queue(visibility_timeout=30)
    send(sqs, queue, json.dumps({"type": "order.paid"}), json.dumps({"type": "pet.sold"}))

    start_poller(
        queue,
        "ShowEvent",
        filters=parse_patterns({"Filters": [{"Pattern": json.dumps(ORDER_PLACED)}]}),
    )

    wait_for(lambda: messages_in(sqs, queue) == 0)
    assert sink.lines("ShowEvent") == []


def test_partial_batch_failure_leaves_only_the_failed_messages(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    queue = make_queue()
    send(sqs, queue, "a", "poison", "b")

    poller = start_poller(queue, "ReportFailures", report_batch_item_failures=True)
    wait_for(lambda: processed(sink, "ReportFailures") == ["a", "b"])
    wait_for(lambda: messages_in(sqs, queue) == 1)
    poller.stop()

    assert receive_bodies(sqs, queue) == ["poison"]
    assert processed(sink, "ReportFailures") == ["a", "b"]


def test_each_message_reported_failed_is_a_warning_naming_function_message_and_reason(
    sqs: SQSClient,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="localcloud.event_sources")
    queue = make_queue(visibility_timeout=30)
    _, poison, _ = send(sqs, queue, "a", "poison", "b")

    start_poller(queue, "ReportFailures", report_batch_item_failures=True, maximum_concurrency=1)

    wait_for(lambda: failure_warnings(caplog) != [])
    assert failure_warnings(caplog) == [
        f"ReportFailures: SQS message {poison} failed (receive 1): reported in "
        "batchItemFailures; the queue delivers it again after its visibility timeout, or "
        "dead-letters it after its redrive policy's receives"
    ]


def test_a_function_error_is_a_warning_for_each_message_of_the_batch_with_the_error(
    sqs: SQSClient,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="localcloud.event_sources")
    queue = make_queue(visibility_timeout=30)
    ids = send(sqs, queue, "a", "poison")

    start_poller(queue, "AllOrNothing", maximum_concurrency=1)

    wait_for(lambda: len(failure_warnings(caplog)) >= 2)
    warnings = failure_warnings(caplog)
    for message_id, warning in zip(sorted(ids), sorted(warnings), strict=True):
        assert warning.startswith(f"AllOrNothing: SQS message {message_id} failed (receive 1): ")
        assert "ValueError: poison in batch" in warning


def test_an_invalid_partial_batch_response_leaves_the_whole_batch_in_the_queue(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="localcloud.event_sources")
    queue = make_queue(visibility_timeout=30)
    send(sqs, queue, "a", "poison")

    start_poller(queue, "ReportInvalid", report_batch_item_failures=True, maximum_concurrency=1)

    # the function handled "a", but its response names a failure Lambda cannot read
    wait_for(lambda: len(failure_warnings(caplog)) >= 2)
    assert all("invalid batchItemFailures response" in line for line in failure_warnings(caplog))
    assert processed(sink, "ReportInvalid") == ["a"]
    assert messages_in(sqs, queue) == 2


def test_a_failed_batch_without_partial_response_stays_whole_in_the_queue(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    queue = make_queue()
    send(sqs, queue, "a", "poison")

    poller = start_poller(queue, "AllOrNothing", maximum_concurrency=1)
    wait_for(lambda: "[ERROR] ValueError: poison in batch" in sink.lines("AllOrNothing"))
    poller.stop()

    assert receive_bodies(sqs, queue) == ["a", "poison"]
    assert processed(sink, "AllOrNothing") == []


def test_a_poison_message_reaches_the_dlq_while_the_rest_of_its_batch_is_processed(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    dead_letters = make_queue()
    queue = make_queue(dead_letter=dead_letters)
    send(sqs, queue, "a", "poison", "b")

    start_poller(queue, "ReportFailures", report_batch_item_failures=True)

    wait_for(lambda: messages_in(sqs, dead_letters) == 1)
    wait_for(lambda: messages_in(sqs, queue) == 0)
    assert receive_bodies(sqs, dead_letters) == ["poison"]
    assert processed(sink, "ReportFailures") == ["a", "b"]


@pytest.mark.parametrize(
    ("concurrency", "patience_s", "outcomes"),
    [(2, 20, ["met", "met"]), (1, 3, ["alone", "met"])],
)
def test_batches_run_side_by_side_up_to_the_mappings_maximum_concurrency(
    concurrency: int,
    patience_s: int,
    outcomes: list[str],
    tmp_path: Path,
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    queue = make_queue(visibility_timeout=30)
    barrier = tmp_path / "barrier"
    send(sqs, queue, f"{barrier}|first|{patience_s}", f"{barrier}|second|{patience_s}")

    start_poller(queue, "Meet", batch_size=1, maximum_concurrency=concurrency)

    wait_for(lambda: len(met_or_alone(sink)) == 2, timeout_s=30)
    assert sorted(line.split()[0] for line in met_or_alone(sink)) == outcomes


def met_or_alone(sink: LogSink) -> list[str]:
    return [line for line in sink.lines("Meet") if line.startswith(("met ", "alone "))]


def test_the_poller_survives_its_queue_disappearing_and_resumes_when_it_returns(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="localcloud.event_sources")
    queue = make_queue()
    poller = start_poller(queue, "AllOrNothing")
    sqs.delete_queue(QueueUrl=queue.url)
    wait_for(lambda: "retrying until it works" in caplog.text)

    recreated = sqs.create_queue(QueueName=queue.url.rsplit("/", 1)[1])["QueueUrl"]
    assert recreated == queue.url
    send(sqs, queue, "after the outage")

    wait_for(lambda: processed(sink, "AllOrNothing") == ["after the outage"])
    wait_for(lambda: "working again" in caplog.text)
    assert poller.running


def test_an_unreachable_endpoint_is_reported_and_stop_stays_prompt(
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="localcloud.event_sources")
    nowhere = f"http://127.0.0.1:{free_port()}"
    poller = start_poller(make_queue(), "AllOrNothing", endpoint_url=nowhere)

    wait_for(lambda: "EndpointConnectionError" in caplog.text)
    assert poller.running
    started = time.monotonic()
    poller.stop()

    assert time.monotonic() - started < 2.5
    assert not poller.running


def test_stop_returns_promptly_while_long_polling(
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
) -> None:
    queue = make_queue()
    poller = start_poller(queue, "AllOrNothing")
    send(sqs, queue, "one")
    wait_for(lambda: processed(sink, "AllOrNothing") == ["one"])

    started = time.monotonic()
    poller.stop()

    assert time.monotonic() - started < 2.5
    assert not poller.running


def test_an_idle_poller_waits_at_the_emulator_and_receives_only_when_a_message_is_there(
    emulator: Emulator,
    sqs: SQSClient,
    sink: LogSink,
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setattr(sqs_poller, "IDLE_WAIT_S", 1.0)
    waits = calls_of(monkeypatch, Waits, "for_messages")
    receives = aws_calls(EmulatorClients.for_pollers(emulator.endpoint_url, REGION).sqs(), request)
    queue = make_queue()
    start_poller(queue, "AllOrNothing")

    # Each of its two threads has waited out two idle waits without one ReceiveMessage
    # (Lambda's long polls, and this poller before the waits, receive at least once each).
    wait_for(lambda: len(waits) >= 4)
    assert receives.count("ReceiveMessage") == 0
    send(sqs, queue, "one")

    wait_for(lambda: processed(sink, "AllOrNothing") == ["one"])
    # Both threads woke; each received once, and the one that got it once more after.
    assert 1 <= receives.count("ReceiveMessage") <= 4


def test_a_wait_cut_short_by_the_emulator_stopping_after_the_poller_is_not_reported(
    make_queue: Callable[..., Queue],
    start_poller: Callable[..., SqsPoller],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The local cloud stops its pollers, then its emulator: a thread still parked in a
    wait sees the connection drop, which is no outage. Only this poller's queue is cut
    short: other clouds' pollers in this process wait as they do."""
    caplog.set_level(logging.WARNING, logger="localcloud.event_sources")
    emulator_stopped = threading.Event()
    waiting: list[threading.Thread] = []
    queue = make_queue()
    wait_as_before = Waits.for_messages

    def wait_until_the_emulator_stops(waits: Waits, queue_arn: str, seconds: float) -> bool:
        if queue_arn != queue.arn:
            return wait_as_before(waits, queue_arn, seconds)
        waiting.append(threading.current_thread())
        emulator_stopped.wait(5)
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1/_localcloud/waits/sqs")

    monkeypatch.setattr(Waits, "for_messages", wait_until_the_emulator_stops)
    poller = start_poller(queue, "AllOrNothing")
    wait_for(lambda: len(waiting) >= 1)

    poller.stop()
    emulator_stopped.set()

    wait_for(lambda: not any(thread.is_alive() for thread in waiting))
    assert "EndpointConnectionError" not in caplog.text
