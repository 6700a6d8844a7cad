"""A template with an Amazon MQ for RabbitMQ broker has its local broker booting from the
moment the template is read; provisioning then waits for that broker instead of starting
one, a failed boot is reported where the broker is first needed, and a broker booted for
a start that failed is stopped all the same."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from localcloud.event_sources.rabbitmq import runtime
from localcloud.event_sources.rabbitmq.broker import RabbitMQBrokerFailed
from localcloud.event_sources.rabbitmq.provisioning import rabbitmq_stack_of
from localcloud.event_sources.rabbitmq.runtime import LocalRabbitMQ
from localcloud.model import Stack

RABBITMQ_BROKER = {"Type": "AWS::AmazonMQ::Broker", "Properties": {"EngineType": "RABBITMQ"}}
ACTIVEMQ_BROKER = {"Type": "AWS::AmazonMQ::Broker", "Properties": {"EngineType": "ACTIVEMQ"}}


class Broker:
    """What the runtime keeps of a started broker."""

    url = "amqp://localcloud:secret@127.0.0.1:5672/%2F"
    address = "127.0.0.1:5672 (vhost /)"

    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


class Starts:
    """start_rabbitmq_broker as the runtime calls it; each start waits for `go`."""

    def __init__(self, fails: bool = False) -> None:
        self.calls: list[threading.Thread] = []
        self.brokers: list[Broker] = []
        self.go = threading.Event()
        self.fails = fails

    def __call__(self, host: str, port: int) -> Broker:
        self.calls.append(threading.current_thread())
        assert self.go.wait(10)
        if self.fails:
            raise RabbitMQBrokerFailed("rabbitmq-server exited with code 1")
        self.brokers.append(Broker())
        return self.brokers[-1]


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> Starts:
    started = Starts()
    monkeypatch.setattr(runtime, "start_rabbitmq_broker", started)
    return started


def _stack_with_a_broker() -> Stack:
    stack = Stack(name="app", region="us-east-1", account_id="123456789012", api_stage="")
    rabbitmq_stack_of(stack).brokers.append("arn:aws:mq:us-east-1:123456789012:broker:events:b-1")
    return stack


def test_a_rabbitmq_broker_in_the_template_starts_booting_before_provisioning(
    starts: Starts,
) -> None:
    local = LocalRabbitMQ("127.0.0.1", 5672)

    local.launch_early({"Events": RABBITMQ_BROKER})
    starts.go.set()
    stack = _stack_with_a_broker()
    local.start_for(stack)
    local.start_for(stack)

    assert len(starts.calls) == 1
    assert starts.calls[0] is not threading.current_thread()
    assert local.broker is starts.brokers[0]
    assert rabbitmq_stack_of(stack).broker is starts.brokers[0]


@pytest.mark.parametrize(
    "resources",
    [
        {},
        {"Events": ACTIVEMQ_BROKER},
        {"Events": {"Type": "AWS::AmazonMQ::Broker", "Properties": {"EngineType": {"Ref": "E"}}}},
        {"Queue": {"Type": "AWS::SQS::Queue"}},
    ],
)
def test_no_broker_boots_early_for_a_template_without_a_rabbitmq_one(
    starts: Starts, resources: dict[str, Any]
) -> None:
    local = LocalRabbitMQ("127.0.0.1", 5672)

    local.launch_early(resources)

    assert starts.calls == []
    starts.go.set()
    local.start_for(_stack_with_a_broker())
    assert starts.calls == [threading.current_thread()]


def test_a_failed_early_boot_is_raised_where_the_broker_is_first_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failing = Starts(fails=True)
    monkeypatch.setattr(runtime, "start_rabbitmq_broker", failing)
    local = LocalRabbitMQ("127.0.0.1", 5672)
    local.launch_early({"Events": RABBITMQ_BROKER})
    failing.go.set()

    with pytest.raises(RabbitMQBrokerFailed, match="exited with code 1"):
        local.start_for(_stack_with_a_broker())
    assert local.broker is None


def test_a_broker_booted_early_for_a_start_that_failed_is_stopped(starts: Starts) -> None:
    local = LocalRabbitMQ("127.0.0.1", 5672)
    local.launch_early({"Events": RABBITMQ_BROKER})
    starts.go.set()

    local.stop()

    [broker] = starts.brokers
    assert broker.stopped
    assert local.broker is None
