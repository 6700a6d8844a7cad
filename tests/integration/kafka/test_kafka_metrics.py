"""The local broker's AWS/Kafka metrics, as MSK names them and the Kafka template's
dashboard and alarms read them: a record a consumer keeps failing goes to its dead-letter
topic, and MessagesInPerSec of that topic has data; the consumer group's lag is there too."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from kafka_testing import RecordingFunction, produce, read_all

from localcloud.cloudwatch.metrics import MetricPoint
from localcloud.event_sources.kafka.broker import KafkaBroker
from localcloud.event_sources.kafka.mapping import KafkaMapping, KafkaStack, KafkaTopic
from localcloud.event_sources.kafka.metrics import KafkaMetricsSampler
from localcloud.event_sources.kafka.poller import KafkaPoller
from localcloud.model import InvocationResult
from support.waiting import wait_until

pytestmark = pytest.mark.integration

FAILED = InvocationResult(ok=False, error_type="Poison", error_message="cannot handle it")


def mapping(topic: str, **settings: Any) -> KafkaMapping:
    return KafkaMapping(
        function="Consumer",
        topic=topic,
        consumer_group=f"{topic}-group",
        event_source_arn="arn:aws:kafka:us-east-1:123456789012:cluster/local/1",
        starting_position="TRIM_HORIZON",
        batching_window_s=0.0,
        **settings,
    )


def start(
    running: list[KafkaPoller], broker: KafkaBroker, settings: KafkaMapping, function: Any
) -> KafkaPoller:
    poller = KafkaPoller(settings, function, bootstrap_servers=broker.bootstrap_servers)
    running.append(poller)
    poller.start()
    return poller


def poisoned(event: dict[str, Any]) -> InvocationResult:
    values = [base64.b64decode(r["value"]) for rs in event["records"].values() for r in rs]
    return FAILED if b"poison" in values else InvocationResult(ok=True)


@pytest.fixture
def running() -> Iterator[list[KafkaPoller]]:
    pollers: list[KafkaPoller] = []
    yield pollers
    for poller in pollers:
        poller.stop()


def by_name(points: list[MetricPoint]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(point.name, point.dimensions): point.values[0] for point in points}


def test_a_dead_lettered_record_shows_in_the_dead_letter_topic_messages_in(
    kafka_broker: KafkaBroker, topic: str, running: list[KafkaPoller]
) -> None:
    settings = mapping(topic, maximum_retry_attempts=0, on_failure_topic=f"{topic}-dlq")
    kafka = KafkaStack(
        topics={name: KafkaTopic(name) for name in (topic, f"{topic}-dlq")},
        mappings=[settings],
        bootstrap_servers=kafka_broker.bootstrap_servers,
    )
    sampler = KafkaMetricsSampler(kafka)
    assert sampler.sample(datetime.now(UTC)) == []  # no rate yet, no offsets committed
    function = RecordingFunction(poisoned)
    produce(kafka_broker, topic, [("order-1", b"poison")])

    start(running, kafka_broker, settings, function)
    read_all(kafka_broker, f"{topic}-dlq", expected=1)
    cluster = ("Cluster Name", "local")
    lag = ("SumOffsetLag", (cluster, ("Consumer Group", f"{topic}-group"), ("Topic", topic)))
    dead_letters_in = ("MessagesInPerSec", (cluster, ("Topic", f"{topic}-dlq")))
    samples: list[dict[tuple[str, tuple[tuple[str, str], ...]], float]] = []

    def sampled_with_lag() -> bool:
        samples.append(by_name(sampler.sample(datetime.now(UTC))))
        return lag in samples[-1]

    wait_until(sampled_with_lag, timeout_s=10, what="the group's committed offset sampled")

    assert samples[0][dead_letters_in] > 0
    points = samples[-1]
    assert points[lag] == 0
    assert points[("MaxOffsetLag", lag[1])] == 0
    assert points[("EstimatedMaxTimeLag", lag[1])] == 0


def test_records_not_yet_read_are_the_group_lag(
    kafka_broker: KafkaBroker, topic: str, running: list[KafkaPoller]
) -> None:
    settings = mapping(topic)
    kafka = KafkaStack(mappings=[settings], bootstrap_servers=kafka_broker.bootstrap_servers)
    function = RecordingFunction()
    produce(kafka_broker, topic, [("order-1", b"a")])
    poller = start(running, kafka_broker, settings, function)
    wait_until(lambda: len(function.values()) == 1, what="the first record handled")
    poller.stop()
    running.clear()
    produce(kafka_broker, topic, [("order-1", b"b"), ("order-1", b"c")])

    sampler = KafkaMetricsSampler(kafka)
    points = by_name(sampler.sample(datetime.now(UTC)))

    dimensions = (
        ("Cluster Name", "local"),
        ("Consumer Group", f"{topic}-group"),
        ("Topic", topic),
    )
    assert points[("SumOffsetLag", dimensions)] == 2
    assert points[("MaxOffsetLag", dimensions)] == 2
