"""SQS delivery latency of the local cloud's poller against a bare boto3 loop.

Measures, in one run against one emulator, the time from `SendMessage` to
(1) the handler starting, through SqsPoller and Invoker, and (2) a bare
boto3 long-poll `ReceiveMessage` returning the message. Samples alternate
between the two paths so both see the same emulator load.

Run: .venv/bin/python tests/benchmarks/bench_sqs_poller.py [--samples 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import boto3

from localcloud.emulator.process import LOCAL_CREDENTIALS, free_port, start_emulator
from localcloud.event_sources.sqs.mapping import SqsMapping
from localcloud.event_sources.sqs.poller import SqsPoller
from localcloud.lambda_.invoker import Invoker
from localcloud.lambda_.logs import LogSink
from localcloud.model import FunctionSpec

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

REGION = "us-east-1"
FUNCTION = "LatencyProbe"
SETTLE_S = 0.05
"""Pause after each delivery so the next message arrives during a long poll."""
SAMPLE_TIMEOUT_S = 10.0


class BareReceiver:
    """A plain long-poll receive loop: records when each body was received."""

    def __init__(self, sqs: SQSClient, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self.received: dict[str, float] = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(25)

    def _run(self) -> None:
        while not self._stopping.is_set():
            response = self._sqs.receive_message(
                QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            received_at = time.time()
            for message in response.get("Messages", []):
                self.received[message["Body"]] = received_at
                self._sqs.delete_message(
                    QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"]
                )


class HandlerStarts(LogSink):
    """Keeps the start time each handler printed, as cheap to check as the bare
    loop's record so that checking does not slow one path more than the other."""

    def __init__(self) -> None:
        super().__init__(quiet=True)
        self.started: dict[str, float] = {}

    def emit(self, function_name: str, line: str) -> None:
        if line.startswith("handler-start "):
            _, body, started = line.split()
            self.started[body] = float(started)


def measure(
    send: Callable[[str], None], arrivals: Callable[[], dict[str, float]], body: str
) -> float:
    sent_at = time.time()
    send(body)
    deadline = time.monotonic() + SAMPLE_TIMEOUT_S
    while body not in arrivals():
        if time.monotonic() > deadline:
            raise TimeoutError(f"message {body} was not delivered within {SAMPLE_TIMEOUT_S} s")
        time.sleep(0.001)
    time.sleep(SETTLE_S)
    return (arrivals()[body] - sent_at) * 1000


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def create_queue(sqs: SQSClient, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    samples = parser.parse_args().samples
    os.environ.update(LOCAL_CREDENTIALS)

    emulator = start_emulator(port=free_port())
    sqs = boto3.client("sqs", endpoint_url=emulator.endpoint_url, region_name=REGION)
    poller_queue, poller_queue_arn = create_queue(sqs, "bench-poller")
    bare_queue, _ = create_queue(sqs, "bench-bare")
    sink = HandlerStarts()
    spec = FunctionSpec(
        logical_id=FUNCTION,
        name=FUNCTION,
        code_dir=Path(__file__).parent / "latency_function",
        handler="app.handler",
        layer_dirs=(),
        environment={},
        timeout_s=10,
        memory_mb=128,
        runtime="python3.13",
        arn=f"arn:aws:lambda:{REGION}:123456789012:function:{FUNCTION}",
    )
    invoker = Invoker(
        {FUNCTION: spec}, base_env={"AWS_ENDPOINT_URL": emulator.endpoint_url}, log_sink=sink
    )
    poller = SqsPoller(
        SqsMapping(FUNCTION, poller_queue, poller_queue_arn),
        invoker.invoke,
        endpoint_url=emulator.endpoint_url,
        region=REGION,
    )
    bare = BareReceiver(sqs, bare_queue)
    poller.start()
    bare.start()
    try:
        through_poller, bare_loop = [], []

        def to_poller(body: str) -> None:
            sqs.send_message(QueueUrl=poller_queue, MessageBody=body)

        def to_bare(body: str) -> None:
            sqs.send_message(QueueUrl=bare_queue, MessageBody=body)

        # Warm-up: the worker's cold start and both clients' first connections.
        measure(to_poller, lambda: sink.started, "warm-up")
        measure(to_bare, lambda: bare.received, "warm-up")
        for number in range(samples):
            through_poller.append(measure(to_poller, lambda: sink.started, str(number)))
            bare_loop.append(measure(to_bare, lambda: bare.received, str(number)))
    finally:
        poller.stop()
        bare.stop()
        invoker.close()
        emulator.stop()

    report("SqsPoller + Invoker: send -> handler start", through_poller)
    report("bare boto3 long poll: send -> receive     ", bare_loop)
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
