"""RabbitMQ delivery latency of the local cloud's Amazon MQ poller against a bare pika
consumer.

Measures, in one run against one local broker (rabbitmq-server), the time from
publishing a message (confirmed) to (1) the handler starting, through RabbitMQPoller and
Invoker (Lambda's `aws:rmq` event, MaximumBatchingWindowInSeconds 0 as the RabbitMQ
template sets it), and (2) a bare pika consumer's callback receiving it. Samples
alternate between the two so both see the same load.

Run: .venv/bin/python tests/benchmarks/bench_rabbitmq_poller.py [--samples 100]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pika

from localcloud.emulator.process import free_port
from localcloud.event_sources.rabbitmq.broker import RabbitMQBroker, start_local_broker
from localcloud.event_sources.rabbitmq.mapping import RabbitMQMapping
from localcloud.event_sources.rabbitmq.poller import RabbitMQPoller
from localcloud.lambda_.invoker import Invoker
from localcloud.lambda_.logs import LogSink
from localcloud.model import FunctionSpec

REGION = "us-east-1"
FUNCTION = "RabbitMQLatencyProbe"
SETTLE_S = 0.05
SAMPLE_TIMEOUT_S = 10.0
QUORUM = {"x-queue-type": "quorum"}


class Arrivals:
    """When each sample arrived; a waiter is woken by the arrival itself rather than
    polling, so the measuring thread takes no CPU from the paths it measures."""

    def __init__(self) -> None:
        self._times: dict[str, float] = {}
        self._arrived = threading.Condition()

    def record(self, value: str, at: float) -> None:
        with self._arrived:
            self._times[value] = at
            self._arrived.notify_all()

    def wait_for(self, value: str, timeout_s: float) -> float:
        with self._arrived:
            if not self._arrived.wait_for(lambda: value in self._times, timeout_s):
                raise TimeoutError(f"message {value} was not delivered within {timeout_s} s")
            return self._times[value]


class BareConsumer:
    """A plain pika consumer: records when each body was received."""

    def __init__(self, broker: RabbitMQBroker, queue: str) -> None:
        self._broker = broker
        self._queue = queue
        self.received = Arrivals()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)

    def _run(self) -> None:
        connection = self._broker.connect()
        channel = connection.channel()

        def received(channel: Any, method: Any, _properties: Any, body: bytes) -> None:
            self.received.record(body.decode(), time.time())
            channel.basic_ack(method.delivery_tag)

        channel.basic_consume(self._queue, received)
        while not self._stopping.is_set():
            connection.process_data_events(time_limit=0.2)
        connection.close()


class HandlerStarts(LogSink):
    """Keeps the start time each handler printed."""

    def __init__(self) -> None:
        super().__init__(quiet=True)
        self.started = Arrivals()

    def emit(self, function_name: str, line: str, log_stream: str = "") -> None:
        if line.startswith("handler-start "):
            _, value, started = line.split()
            self.started.record(value, float(started))


def measure(send: Callable[[str], None], arrivals: Arrivals, value: str) -> float:
    sent_at = time.time()
    send(value)
    arrived_at = arrivals.wait_for(value, SAMPLE_TIMEOUT_S)
    time.sleep(SETTLE_S)
    return (arrived_at - sent_at) * 1000


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def probe_function() -> FunctionSpec:
    return FunctionSpec(
        logical_id=FUNCTION,
        name=FUNCTION,
        code_dir=Path(__file__).parent / "rabbitmq_latency_function",
        handler="app.handler",
        layer_dirs=(),
        environment={},
        timeout_s=10,
        memory_mb=128,
        runtime="python3.13",
        arn=f"arn:aws:lambda:{REGION}:123456789012:function:{FUNCTION}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    samples = parser.parse_args().samples

    started = time.monotonic()
    broker = start_local_broker("127.0.0.1", free_port())
    print(f"rabbitmq-server ready in {time.monotonic() - started:.1f} s")
    publisher = broker.connect()
    channel = publisher.channel()
    for queue in ("bench-poller", "bench-bare"):
        channel.queue_declare(queue, durable=True, arguments=QUORUM)
    channel.confirm_delivery()
    sink = HandlerStarts()
    invoker = Invoker({FUNCTION: probe_function()}, base_env={}, log_sink=sink)
    mapping = RabbitMQMapping(
        function=FUNCTION,
        queue="bench-poller",
        broker_arn="arn:aws:mq:us-east-1:123456789012:broker:bench:b-1",
        batching_window_s=0.0,
    )
    poller = RabbitMQPoller(mapping, invoker.invoke, url=broker.url)
    bare = BareConsumer(broker, "bench-bare")
    poller.start()
    bare.start()
    try:

        def publishing_to(queue: str) -> Callable[[str], None]:
            def send(value: str) -> None:
                properties = pika.BasicProperties(delivery_mode=2)
                channel.basic_publish("", queue, value.encode(), properties)

            return send

        to_poller, to_bare = publishing_to("bench-poller"), publishing_to("bench-bare")
        # Warm-up: the worker's cold start, both consumers' first deliveries.
        measure(to_poller, sink.started, "warm-up")
        measure(to_bare, bare.received, "warm-up")
        through_poller, bare_loop = [], []
        for number in range(samples):
            through_poller.append(measure(to_poller, sink.started, str(number)))
            bare_loop.append(measure(to_bare, bare.received, str(number)))
    finally:
        poller.stop()
        bare.stop()
        invoker.close()
        publisher.close()
        broker.stop()

    report("RabbitMQPoller + Invoker: publish -> handler start", through_poller)
    report("bare pika consumer: publish -> receive          ", bare_loop)
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
