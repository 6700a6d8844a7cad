"""The Kafka event source mapping against a real broker: the group's offset is committed
only once the function succeeded; a failing batch is split and retried, and the records
that still fail land in the on-failure topic with the failure in their headers while the
rest are handled; a partial batch response retries only from the first failed record;
records a filter rejects are committed without an invocation; each key's records reach
the function in order across three partitions; and a poller stopped mid-stream and
started again loses nothing."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from kafka_testing import RecordingFunction, committed, produce, read_all

from localcloud.event_sources.filtering import parse_patterns
from localcloud.event_sources.kafka.broker import KafkaBroker
from localcloud.event_sources.kafka.mapping import KafkaMapping
from localcloud.event_sources.kafka.poller import KafkaPoller
from localcloud.model import InvocationResult
from support.waiting import wait_until

pytestmark = pytest.mark.integration

FAILED = InvocationResult(ok=False, error_type="Poison", error_message="cannot handle it")


def mapping(topic: str, **settings: Any) -> KafkaMapping:
    values: dict[str, Any] = {
        "function": "Consumer",
        "topic": topic,
        "consumer_group": f"{topic}-group",
        "event_source_arn": "arn:aws:kafka:us-east-1:123456789012:cluster/local/1",
        "starting_position": "TRIM_HORIZON",
        "batching_window_s": 0.0,
        **settings,
    }
    return KafkaMapping(**values)


@pytest.fixture
def running() -> Iterator[list[KafkaPoller]]:
    """Pollers a test starts; each is stopped when the test ends."""
    pollers: list[KafkaPoller] = []
    yield pollers
    for poller in pollers:
        poller.stop()


def start(
    running: list[KafkaPoller], broker: KafkaBroker, settings: KafkaMapping, function: Any
) -> KafkaPoller:
    poller = KafkaPoller(settings, function, bootstrap_servers=broker.bootstrap_servers)
    running.append(poller)
    poller.start()
    return poller


def values_of(event: dict[str, Any]) -> list[bytes]:
    return [
        base64.b64decode(record["value"])
        for records in event["records"].values()
        for record in records
    ]


def partition_of(event: dict[str, Any]) -> int:
    [records] = event["records"].values()
    partition: int = records[0]["partition"]
    return partition


def wait_committed(broker: KafkaBroker, settings: KafkaMapping, ends: dict[int, int]) -> None:
    wait_until(
        lambda: committed(broker, settings.consumer_group, settings.topic) == ends,
        timeout_s=15,
        what=f"offsets {ends} committed",
    )


def test_the_offset_is_committed_only_after_the_function_succeeded(
    kafka_broker: KafkaBroker, topic: str, running: list[KafkaPoller]
) -> None:
    settings = mapping(topic)
    released = threading.Event()

    def succeed_once_released(_event: dict[str, Any]) -> InvocationResult:
        released.wait(10)
        return InvocationResult(ok=True)

    function = RecordingFunction(succeed_once_released)
    produce(kafka_broker, topic, [("order-1", b"one")])
    start(running, kafka_broker, settings, function)

    wait_until(lambda: function.events, what="the invocation")
    assert committed(kafka_broker, settings.consumer_group, topic) == {}
    released.set()

    wait_committed(kafka_broker, settings, {partition_of(function.events[0]): 1})


def test_a_poison_record_is_isolated_retried_and_sent_to_the_on_failure_topic(
    kafka_broker: KafkaBroker, topic: str, running: list[KafkaPoller]
) -> None:
    settings = mapping(
        topic, maximum_retry_attempts=2, bisect_batch_on_error=True, on_failure_topic=f"{topic}-dlq"
    )
    function = RecordingFunction(
        lambda event: FAILED if b"poison" in values_of(event) else InvocationResult(ok=True)
    )
    records = [("order-1", value) for value in (b"a", b"b", b"poison", b"d")]
    produce(kafka_broker, topic, records)

    start(running, kafka_broker, settings, function)

    [dead] = read_all(kafka_broker, f"{topic}-dlq", expected=1)
    assert dead.value() == b"poison"
    assert dead.key() == b"order-1"
    headers = {name: value.decode() for name, value in dead.headers()}
    assert headers["lambda-failure-source-topic"] == topic
    assert headers["lambda-failure-source-offset"] == "2"
    assert headers["lambda-failure-error-type"] == "Poison"
    assert headers["lambda-failure-condition"] == "RetryAttemptsExhausted"
    partition = partition_of(function.events[0])
    wait_committed(kafka_broker, settings, {partition: 4})
    succeeded = [values_of(event) for event in function.events if b"poison" not in values_of(event)]
    assert sorted(value for values in succeeded for value in values) == [b"a", b"b", b"d"]
    alone = [values_of(event) for event in function.events].count([b"poison"])
    assert alone == 1 + settings.maximum_retry_attempts


def test_a_partial_batch_response_retries_from_the_first_failed_record(
    kafka_broker: KafkaBroker, topic: str, running: list[KafkaPoller]
) -> None:
    settings = mapping(
        topic,
        maximum_retry_attempts=1,
        report_batch_item_failures=True,
        on_failure_topic=f"{topic}-dlq",
    )

    def report_poison(event: dict[str, Any]) -> InvocationResult:
        failures = [
            {"itemIdentifier": {"partition": key, "offset": record["offset"]}}
            for key, records in event["records"].items()
            for record in records
            if base64.b64decode(record["value"]) == b"poison"
        ]
        return InvocationResult(ok=True, payload={"batchItemFailures": failures})

    function = RecordingFunction(report_poison)
    produce(kafka_broker, topic, [("order-1", v) for v in (b"a", b"poison", b"c")])

    start(running, kafka_broker, settings, function)

    [dead] = read_all(kafka_broker, f"{topic}-dlq", expected=1)
    assert dead.value() == b"poison"
    wait_committed(kafka_broker, settings, {partition_of(function.events[0]): 3})
    assert [values_of(event) for event in function.events] == [
        [b"a", b"poison", b"c"],
        [b"poison", b"c"],
    ]


def test_records_a_filter_rejects_are_committed_without_an_invocation(
    kafka_broker: KafkaBroker, topic: str, running: list[KafkaPoller]
) -> None:
    placed_only = parse_patterns(
        {"Filters": [{"Pattern": json.dumps({"value": {"type": ["order.placed"]}})}]}
    )
    settings = mapping(topic, filters=placed_only)
    function = RecordingFunction()
    produce(
        kafka_broker,
        topic,
        [("order-1", json.dumps({"type": kind}).encode()) for kind in ("order.x", "order.placed")],
    )

    start(running, kafka_broker, settings, function)

    wait_until(lambda: function.events, what="the invocation")
    partition = partition_of(function.events[0])
    wait_committed(kafka_broker, settings, {partition: 2})
    assert function.values() == [b'{"type": "order.placed"}']


def sequence_by_key(values: list[bytes]) -> dict[str, list[int]]:
    by_key: dict[str, list[int]] = {}
    for value in values:
        key, number = value.decode().split(":")
        by_key.setdefault(key, []).append(int(number))
    return by_key


def test_each_keys_records_arrive_in_order_across_three_partitions(
    kafka_broker: KafkaBroker, topic: str, running: list[KafkaPoller]
) -> None:
    settings = mapping(topic, batch_size=5)
    function = RecordingFunction()
    records = [(f"order-{n % 6}", f"order-{n % 6}:{n}".encode()) for n in range(60)]

    start(running, kafka_broker, settings, function)
    produce(kafka_broker, topic, records)

    wait_until(lambda: len(function.values()) == 60, what="every record delivered")
    by_key = sequence_by_key(function.values())
    assert all(numbers == sorted(numbers) for numbers in by_key.values())
    assert {partition_of(event) for event in function.events} == {0, 1, 2}


def test_a_poller_stopped_mid_stream_and_started_again_loses_nothing(
    kafka_broker: KafkaBroker, topic: str, running: list[KafkaPoller]
) -> None:
    settings = mapping(topic, batch_size=3)
    halfway = threading.Event()
    first = RecordingFunction()
    records = [(f"order-{n % 4}", f"order-{n % 4}:{n}".encode()) for n in range(40)]

    def note_halfway(event: dict[str, Any]) -> InvocationResult:
        if len(first.values()) >= 20:
            halfway.set()
        return InvocationResult(ok=True)

    first.respond = note_halfway
    produce(kafka_broker, topic, records)
    poller = start(running, kafka_broker, settings, first)
    assert halfway.wait(15)
    poller.stop()
    second = RecordingFunction()
    start(running, kafka_broker, settings, second)

    delivered = lambda: sorted(set(first.values()) | set(second.values()))  # noqa: E731
    wait_until(lambda: len(delivered()) == 40, what="every record delivered")
    assert delivered() == sorted(value for _, value in records)
    # Only a batch in flight at the stop may be delivered again.
    again = set(first.values()) & set(second.values())
    assert len(again) <= 3 * 3
    for values in (first.values(), second.values()):
        assert all(numbers == sorted(numbers) for numbers in sequence_by_key(values).values())
