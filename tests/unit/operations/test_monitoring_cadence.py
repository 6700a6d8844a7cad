"""The monitoring cycle's cadence: alarms are evaluated every cycle, queue and broker
depths sampled only as often as their own interval says (AWS sends them once a minute)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.cloudwatch.metrics import MetricPoint
from localcloud.cloudwatch.monitoring import LocalMonitoring, MonitoringSettings
from support.waiting import wait_until

UNREACHABLE = "http://127.0.0.1:9"


class Counting:
    def __init__(self) -> None:
        self.samples = 0
        self.evaluations = 0
        self.lock = threading.Lock()

    def sample(self) -> list[MetricPoint]:
        with self.lock:
            self.samples += 1
        return []

    def evaluate(self) -> list[Any]:
        with self.lock:
            self.evaluations += 1
        return []


class Quiet:
    """Stands in for the publisher: nothing is sent anywhere."""

    def record(self, points: list[MetricPoint]) -> None:
        pass

    def flush(self, timeout_s: float = 10.0) -> bool:
        return True


@pytest.fixture
def monitoring() -> Iterator[tuple[LocalMonitoring, Counting]]:
    settings = MonitoringSettings(sample_interval_s=0.01, queue_sample_interval_s=3600)
    monitoring = LocalMonitoring(UNREACHABLE, "us-east-1", settings)
    counting = Counting()
    monitoring._queue_samples = counting.sample  # type: ignore[method-assign]
    monitoring._source_samples = lambda: []  # type: ignore[method-assign]
    monitoring._evaluator.evaluate = counting.evaluate  # type: ignore[method-assign]
    monitoring._publisher = Quiet()  # type: ignore[assignment]
    thread = threading.Thread(target=monitoring._run, daemon=True)
    thread.start()
    yield monitoring, counting
    monitoring._stopping.set()
    monitoring._wake.set()
    thread.join(5)


def test_queues_are_sampled_at_their_own_interval_while_alarms_are_evaluated_every_cycle(
    monitoring: tuple[LocalMonitoring, Counting],
) -> None:
    _monitoring, counting = monitoring

    wait_until(lambda: counting.evaluations >= 20, what="20 alarm evaluations")

    assert counting.samples == 1


def test_a_shorter_queue_interval_takes_effect_from_the_next_cycle(
    monitoring: tuple[LocalMonitoring, Counting],
) -> None:
    monitoring_, counting = monitoring
    wait_until(lambda: counting.evaluations >= 2, what="the first cycles")

    monitoring_.configure(MonitoringSettings(sample_interval_s=0.01, queue_sample_interval_s=0))

    wait_until(lambda: counting.samples >= 5, what="a sample every cycle")


def test_run_cycle_samples_the_queues_whatever_the_interval(
    monitoring: tuple[LocalMonitoring, Counting],
) -> None:
    monitoring_, counting = monitoring
    wait_until(lambda: counting.samples == 1, what="the first sample")

    monitoring_.run_cycle()

    assert counting.samples == 2
