"""`petstore` over Kafka as a developer runs it: `petstore up --transport kafka` (the
Kafka template on the local broker), `petstore demo --transport kafka` down the same
four journeys, `petstore dlq` listing, showing and redriving a record that keeps
failing, and a broker named by KAFKA_BOOTSTRAP_SERVERS that does not answer."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from confluent_kafka import Producer

from localcloud.emulator.process import free_port
from support.petstore_process import PETSTORE, PROJECT, RunningUp, start_petstore_up
from support.waiting import wait_until

pytestmark = pytest.mark.integration

POISON = b'{"type": "payment.refunded", "data": 42}'
DEAD_LETTERS = "notifications-payment-events-dead-letters"


@pytest.fixture(scope="module")
def kafka_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUp]:
    # One retry before a record is dead-lettered: the backoff of the default four is 15 s.
    running = start_petstore_up(
        tmp_path_factory.mktemp("state"),
        *("--transport", "kafka", "--kafka-port", str(free_port())),
        *("--parameter-overrides", "ConsumerMaximumRetryAttempts=1"),
    )
    yield running
    running.stop()


CLUSTER = ("Cluster Name", "petstore-events")
DEAD_LETTERS_IN = ("MessagesInPerSec", dict([CLUSTER, ("Topic", DEAD_LETTERS)]))
NOTIFICATIONS_PAYMENT_LAG = (
    "SumOffsetLag",
    dict([CLUSTER, ("Consumer Group", "notifications-payment-events"), ("Topic", "payments")]),
)


def dashboard_metric(state: dict[str, Any], metric: tuple[str, dict[str, str]]) -> list[float]:
    """The last five minutes of an AWS/Kafka metric as the Kafka template's dashboard and
    alarms name it (Maximum per minute)."""
    name, dimensions = metric
    cloudwatch = boto3.client(
        "cloudwatch",
        endpoint_url=state["endpoint_url"],
        region_name=state["region"],
        aws_access_key_id=state["access"]["access_key_id"],
        aws_secret_access_key=state["access"]["secret_access_key"],
    )
    now = datetime.now(UTC)
    answer = cloudwatch.get_metric_statistics(
        Namespace="AWS/Kafka",
        MetricName=name,
        Dimensions=[{"Name": key, "Value": value} for key, value in sorted(dimensions.items())],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum"],
    )
    return [float(point["Maximum"]) for point in answer["Datapoints"]]


def petstore(running: RunningUp, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PETSTORE, *arguments],
        cwd=PROJECT,
        env=running.env,
        capture_output=True,
        text=True,
        timeout=150,
    )


def depth(running: RunningUp, topic: str) -> int:
    listing = petstore(running, "dlq", "list")
    assert listing.returncode == 0, listing.stderr
    found = re.search(rf"^{topic}\s+(\d+)\s", listing.stdout, re.MULTILINE)
    assert found, listing.stdout
    return int(found.group(1))


@pytest.mark.timeout(180)
def test_the_demo_runs_the_same_four_journeys_over_kafka(kafka_up: RunningUp) -> None:
    demo = petstore(kafka_up, "demo", "--transport", "kafka")

    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "(events over kafka)" in demo.stdout
    summary = demo.stdout[demo.stdout.index("Summary") :]
    for title, status in [
        ("Confirmed", "CONFIRMED"),
        ("Out of stock", "REJECTED"),
        ("Payment declined", "PAYMENT_FAILED"),
        ("Cancelled after payment", "CANCELLED"),
    ]:
        assert re.search(rf"ok\s+{title}\s+{status}\s", summary), summary


@pytest.mark.timeout(120)
def test_a_record_that_keeps_failing_is_listed_shown_and_redriven(kafka_up: RunningUp) -> None:
    state = json.loads(Path(kafka_up.env["PETSTORE_STATE_FILE"]).read_text())
    producer = Producer({"bootstrap.servers": state["kafka_bootstrap_servers"]})
    producer.produce("payments", value=POISON, key=b"order-poison")
    assert producer.flush(10) == 0

    wait_until(lambda: depth(kafka_up, DEAD_LETTERS) == 1, timeout_s=60, what="the dead letter")
    # The dashboard's "Records into dead-letter topics" and the DLT's alarm read this metric.
    wait_until(
        lambda: max(dashboard_metric(state, DEAD_LETTERS_IN), default=0.0) > 0,
        timeout_s=30,
        what="MessagesInPerSec of the dead-letter topic in CloudWatch",
    )
    assert dashboard_metric(state, NOTIFICATIONS_PAYMENT_LAG) != []
    shown = petstore(kafka_up, "dlq", "show", "notifications-payment")
    assert "NotificationPaymentEventsFunction: ReportedFailure" in shown.stdout, shown.stdout
    assert POISON.decode() in shown.stdout
    redriven = petstore(kafka_up, "dlq", "redrive", "notifications-payment")

    assert redriven.returncode == 0, redriven.stderr
    assert "Moved 1 message" in redriven.stdout
    # Back on its topic, the record fails again and is a new dead letter, past the first.
    wait_until(
        lambda: "message 0:1" in petstore(kafka_up, "dlq", "show", DEAD_LETTERS).stdout,
        timeout_s=60,
        what="the redriven record failing again",
    )
    assert depth(kafka_up, DEAD_LETTERS) == 1


@pytest.mark.timeout(120)
def test_a_broker_that_does_not_answer_is_named_and_petstore_up_exits_1(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    ports = ("--port", str(free_port()), "--emulator-port", str(free_port()))
    environment = {name: value for name, value in os.environ.items() if name != "AWS_ENDPOINT_URL"}
    up = subprocess.run(
        [*PETSTORE, "up", "--transport", "kafka", "--no-seed", *ports],
        cwd=PROJECT,
        env={
            **environment,
            "PETSTORE_STATE_FILE": str(tmp_path / "cloud.json"),
            "KAFKA_BOOTSTRAP_SERVERS": address,
        },
        capture_output=True,
        text=True,
        timeout=100,
    )

    assert up.returncode == 1, up.stdout + up.stderr
    assert f"The Kafka broker at {address} does not answer" in up.stderr
