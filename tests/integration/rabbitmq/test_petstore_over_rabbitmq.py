"""`petstore` over RabbitMQ as a developer runs it: `petstore up --transport rabbitmq`
(the RabbitMQ template on the local broker), `petstore demo --transport rabbitmq` down
the same four journeys, `petstore dlq` listing, showing (with the reason) and redriving
a message that is not an envelope, and a broker named by RABBITMQ_URL that does not
answer."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pika
import pytest

from localcloud.emulator.process import free_port
from support.petstore_process import PETSTORE, PROJECT, RunningUp, start_petstore_up
from support.waiting import wait_until

pytestmark = pytest.mark.integration

POISON = b'{"type": "payment.refunded", "data": 42}'
QUEUE = "notifications-payment-events"
DEAD_LETTERS = "notifications-payment-events.dead-letters"


@pytest.fixture(scope="module")
def rabbitmq_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUp]:
    running = start_petstore_up(
        tmp_path_factory.mktemp("state"),
        *("--transport", "rabbitmq", "--rabbitmq-port", str(free_port())),
        *("--parameter-overrides", "ConsumerDeliveryLimit=1"),
    )
    yield running
    running.stop()


def petstore(running: RunningUp, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PETSTORE, *arguments],
        cwd=PROJECT,
        env=running.env,
        capture_output=True,
        text=True,
        timeout=150,
    )


def queue_metric(state: dict[str, Any], name: str, queue: str) -> list[float]:
    """The last five minutes of an AWS/AmazonMQ queue metric, as the RabbitMQ template's
    dashboard and alarms name it (Maximum per minute)."""
    cloudwatch = boto3.client(
        "cloudwatch",
        endpoint_url=state["endpoint_url"],
        region_name=state["region"],
        aws_access_key_id=state["access"]["access_key_id"],
        aws_secret_access_key=state["access"]["secret_access_key"],
    )
    dimensions = {"Broker": "petstore-events", "Queue": queue, "VirtualHost": "/"}
    now = datetime.now(UTC)
    answer = cloudwatch.get_metric_statistics(
        Namespace="AWS/AmazonMQ",
        MetricName=name,
        Dimensions=[{"Name": key, "Value": value} for key, value in sorted(dimensions.items())],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum"],
    )
    return [float(point["Maximum"]) for point in answer["Datapoints"]]


def depth(running: RunningUp, queue: str) -> int:
    listing = petstore(running, "dlq", "list")
    assert listing.returncode == 0, listing.stderr
    found = re.search(rf"^{re.escape(queue)}\s+(\d+)\s+(\S+)", listing.stdout, re.MULTILINE)
    assert found, listing.stdout
    assert found.group(2) == QUEUE
    return int(found.group(1))


@pytest.mark.timeout(180)
def test_the_demo_runs_the_same_four_journeys_over_rabbitmq(rabbitmq_up: RunningUp) -> None:
    demo = petstore(rabbitmq_up, "demo", "--transport", "rabbitmq")

    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "(events over rabbitmq)" in demo.stdout
    summary = demo.stdout[demo.stdout.index("Summary") :]
    for title, status in [
        ("Confirmed", "CONFIRMED"),
        ("Out of stock", "REJECTED"),
        ("Payment declined", "PAYMENT_FAILED"),
        ("Cancelled after payment", "CANCELLED"),
    ]:
        assert re.search(rf"ok\s+{title}\s+{status}\s", summary), summary


@pytest.mark.timeout(120)
def test_a_message_that_is_no_envelope_is_listed_shown_with_its_reason_and_redriven(
    rabbitmq_up: RunningUp,
) -> None:
    state = json.loads(Path(rabbitmq_up.env["PETSTORE_STATE_FILE"]).read_text())
    connection = pika.BlockingConnection(pika.URLParameters(state["rabbitmq_url"]))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish("", QUEUE, POISON, pika.BasicProperties(delivery_mode=2))
    connection.close()

    wait_until(lambda: depth(rabbitmq_up, DEAD_LETTERS) == 1, timeout_s=60, what="the dead letter")
    # The dead-letter queue's alarm and the dashboard read this metric.
    wait_until(
        lambda: max(queue_metric(state, "MessageCount", DEAD_LETTERS), default=0.0) > 0,
        timeout_s=30,
        what="MessageCount of the dead-letter queue in CloudWatch",
    )
    assert queue_metric(state, "MessageReadyCount", QUEUE) != []
    shown = petstore(rabbitmq_up, "dlq", "show", "notifications-payment")

    assert shown.returncode == 0, shown.stderr
    assert POISON.decode() in shown.stdout
    assert "NotificationPaymentEventsFunction: " in shown.stdout, shown.stdout
    assert "MalformedEvent" in shown.stdout, shown.stdout
    assert f"broker: delivery_limit in queue {QUEUE}" in shown.stdout, shown.stdout
    redriven = petstore(rabbitmq_up, "dlq", "redrive", "notifications-payment")
    assert redriven.returncode == 0, redriven.stderr
    assert "Moved 1 message" in redriven.stdout
    # Back in its queue, it fails again and is dead-lettered again, alone.
    wait_until(lambda: depth(rabbitmq_up, DEAD_LETTERS) == 0, timeout_s=30, what="the redrive")
    wait_until(
        lambda: depth(rabbitmq_up, DEAD_LETTERS) == 1, timeout_s=60, what="a new dead letter"
    )


@pytest.mark.timeout(60)
def test_a_broker_that_does_not_answer_is_named_within_seconds_and_up_exits_1(
    tmp_path: Path,
) -> None:
    address = f"127.0.0.1:{free_port()}"
    ports = ("--port", str(free_port()), "--emulator-port", str(free_port()))
    environment = {name: value for name, value in os.environ.items() if name != "AWS_ENDPOINT_URL"}
    started = time.monotonic()
    up = subprocess.run(
        [*PETSTORE, "up", "--transport", "rabbitmq", "--no-seed", *ports],
        cwd=PROJECT,
        env={
            **environment,
            "PETSTORE_STATE_FILE": str(tmp_path / "cloud.json"),
            "RABBITMQ_URL": f"amqp://guest:guest@{address}/%2F",
        },
        capture_output=True,
        text=True,
        timeout=50,
    )

    assert up.returncode == 1, up.stdout + up.stderr
    assert f"The RabbitMQ broker at {address} (vhost /) does not answer" in up.stderr
    assert "guest:guest" not in up.stderr
    assert time.monotonic() - started < 15
