"""Kafka delivery latency of the local cloud's Kafka poller against a bare confluent-kafka
consumer.

Measures, in one run against one local broker (Tansu), the time from producing a record
to (1) the handler starting, through KafkaPoller and Invoker (Lambda's MSK event), and
(2) a bare confluent-kafka consumer's poll() returning it. Both read with the same
consumer settings (the broker answers a fetch when fetch.wait.max.ms runs out, which
dominates both), and samples alternate between the two so both see the same load.

Run: .venv/bin/python tests/benchmarks/bench_kafka_poller.py [--samples 100]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition

from localcloud.emulator.process import free_port
from localcloud.event_sources.kafka.broker import start_local_broker
from localcloud.event_sources.kafka.mapping import KafkaMapping, KafkaTopic
from localcloud.event_sources.kafka.poller import CONSUMER_SETTINGS, KafkaPoller
from localcloud.lambda_.invoker import Invoker
from localcloud.lambda_.logs import LogSink
from localcloud.model import FunctionSpec

REGION = "us-east-1"
FUNCTION = "KafkaLatencyProbe"
SETTLE_S = 0.05
"""Pause after each delivery so the next record arrives while both readers wait."""
SAMPLE_TIMEOUT_S = 10.0


class BareConsumer:
    """A plain confluent-kafka poll loop: records when each value was received."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self._consumer = Consumer(
            {**CONSUMER_SETTINGS, "bootstrap.servers": bootstrap_servers, "group.id": "bare"}
        )
        self._consumer.assign([TopicPartition(topic, 0)])
        self.received: dict[str, float] = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._consumer.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            message: Any = self._consumer.poll(0.2)
            if message is not None and message.error() is None:
                self.received[message.value().decode()] = time.time()


class HandlerStarts(LogSink):
    """Keeps the start time each handler printed."""

    def __init__(self) -> None:
        super().__init__(quiet=True)
        self.started: dict[str, float] = {}

    def emit(self, function_name: str, line: str) -> None:
        if line.startswith("handler-start "):
            _, value, started = line.split()
            self.started[value] = float(started)


def measure(
    send: Callable[[str], None], arrivals: Callable[[], dict[str, float]], value: str
) -> float:
    sent_at = time.time()
    send(value)
    deadline = time.monotonic() + SAMPLE_TIMEOUT_S
    while value not in arrivals():
        if time.monotonic() > deadline:
            raise TimeoutError(f"record {value} was not delivered within {SAMPLE_TIMEOUT_S} s")
        time.sleep(0.001)
    time.sleep(SETTLE_S)
    return (arrivals()[value] - sent_at) * 1000


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def probe_function() -> FunctionSpec:
    return FunctionSpec(
        logical_id=FUNCTION,
        name=FUNCTION,
        code_dir=Path(__file__).parent / "kafka_latency_function",
        handler="app.handler",
        layer_dirs=(),
        environment={},
        timeout_s=10,
        memory_mb=128,
        runtime="python3.13",
        arn=f"arn:aws:lambda:{REGION}:123456789012:function:{FUNCTION}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    samples = parser.parse_args().samples

    broker = start_local_broker("127.0.0.1", free_port())
    broker.recreate_topics([KafkaTopic("bench-poller"), KafkaTopic("bench-bare")])
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "linger.ms": 0})
    sink = HandlerStarts()
    invoker = Invoker({FUNCTION: probe_function()}, base_env={}, log_sink=sink)
    mapping = KafkaMapping(
        function=FUNCTION,
        topic="bench-poller",
        consumer_group="bench-poller",
        event_source_arn="arn:aws:kafka:us-east-1:123456789012:cluster/bench/1",
        batching_window_s=0.0,
        starting_position="TRIM_HORIZON",
    )
    poller = KafkaPoller(mapping, invoker.invoke, bootstrap_servers=broker.bootstrap_servers)
    bare = BareConsumer(broker.bootstrap_servers, "bench-bare")
    poller.start()
    bare.start()
    try:

        def producing_to(topic: str) -> Callable[[str], None]:
            def send(value: str) -> None:
                producer.produce(topic, value=value.encode())
                producer.flush(5)

            return send

        to_poller, to_bare = producing_to("bench-poller"), producing_to("bench-bare")
        # Warm-up: the worker's cold start, both readers' first fetches.
        measure(to_poller, lambda: sink.started, "warm-up")
        measure(to_bare, lambda: bare.received, "warm-up")
        through_poller, bare_loop = [], []
        for number in range(samples):
            through_poller.append(measure(to_poller, lambda: sink.started, str(number)))
            bare_loop.append(measure(to_bare, lambda: bare.received, str(number)))
    finally:
        poller.stop()
        bare.stop()
        invoker.close()
        broker.stop()

    print(f"fetch.wait.max.ms {CONSUMER_SETTINGS['fetch.wait.max.ms']} for both readers")
    report("KafkaPoller + Invoker: produce -> handler start", through_poller)
    report("bare confluent-kafka poll: produce -> receive  ", bare_loop)
    p50_ratio = statistics.median(through_poller) / statistics.median(bare_loop)
    p95_ratio = percentile(through_poller, 0.95) / percentile(bare_loop, 0.95)
    print(f"ratio p50 {p50_ratio:.2f}  p95 {p95_ratio:.2f}  (target <= 1.2)")


def report(label: str, samples: list[float]) -> None:
    print(
        f"{label}  p50 {statistics.median(samples):6.1f} ms  "
        f"p95 {percentile(samples, 0.95):6.1f} ms  (n={len(samples)})"
    )


if __name__ == "__main__":
    main()
