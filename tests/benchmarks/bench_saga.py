"""The order saga under load, measured side by side in one run on the local cloud, over
each event transport in turn (SNS/SQS from template.yaml, then Kafka from
infrastructure/kafka/template.yaml on the local broker):

(a) end-to-end latency: POST /orders until GET /orders/{id} reads CONFIRMED, p50/p95
    over sequential orders;
(b) sustained throughput: orders accepted per second over a bounded window at 8 and at
    32 concurrent clients, then a bounded wait until every accepted order is final
    (lost or stuck orders must be 0);
(c) the yardstick: a boto3 DynamoDB GetItem round trip on the same emulator.

Run: .venv/bin/python tests/benchmarks/bench_saga.py [--seconds 30] [--orders 30]
     [--transports sns kafka]
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator import LOCAL_CREDENTIALS, free_port
from petstore_cli.demo_users import create_demo_users, id_token

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATES = {
    "sns": PROJECT / "template.yaml",
    "kafka": PROJECT / "infrastructure" / "kafka" / "template.yaml",
}
TERMINAL = frozenset({"CONFIRMED", "REJECTED", "PAYMENT_FAILED", "CANCELLED"})
CONCURRENCY = (8, 32)
SETTLE_TIMEOUT_S = 180.0
POLL_INTERVAL_S = 0.01
PET = {
    "name": "Bench",
    "species": "fish",
    "price": {"amount": "1.00", "currency": "USD"},
    "stock": 1_000_000,
}


@dataclass
class Shop:
    cloud: LocalCloud
    tokens: dict[str, str]
    pet_id: str = ""

    def session(self, user: str) -> requests.Session:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return http

    def url(self, path: str) -> str:
        return f"{self.cloud.api_url}{path}"


@dataclass
class Placed:
    """Orders accepted during a window, with the session of the shopper who placed each."""

    orders: list[tuple[str, requests.Session]] = field(default_factory=list)
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def start_shop(log_path: Path | None = None, transport: str = "sns") -> Shop:
    os.environ.update(LOCAL_CREDENTIALS)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    cloud = LocalCloud(
        LocalCloudConfig(
            template=TEMPLATES[transport],
            stack_name="petstore",
            api_port=free_port(),
            emulator_port=free_port(),
            kafka_port=free_port(),
            # the template's own queue settings, as `make run` uses them
            quiet=log_path is None,
            log_stream=log_path.open("a", encoding="utf-8") if log_path else None,
        )
    )
    print(f"    started in {cloud.start():.1f} s", flush=True)
    stack = cloud.stack
    assert stack is not None
    cognito = boto3.client("cognito-idp", endpoint_url=cloud.endpoint_url)
    pool_id, client_id = stack.outputs["UserPoolId"], stack.outputs["UserPoolClientId"]
    create_demo_users(cognito, pool_id)
    tokens = {
        user: id_token(cognito, pool_id, client_id, user) for user in ("alice", "bob", "admin")
    }
    shop = Shop(cloud, tokens)
    created = shop.session("admin").post(shop.url("/pets"), json=PET, timeout=30)
    created.raise_for_status()
    shop.pet_id = created.json()["id"]
    return shop


def place_order(shop: Shop, http: requests.Session) -> str | None:
    """The new order's id; None when it was refused or the answer timed out."""
    body = {"petId": shop.pet_id, "quantity": 1, "paymentToken": "tok_visa"}
    try:
        answer = http.post(shop.url("/orders"), json=body, timeout=30)
    except requests.Timeout:
        return None
    return str(answer.json()["orderId"]) if answer.status_code == 201 else None


def status_of(shop: Shop, http: requests.Session, order_id: str) -> str | None:
    answer = http.get(shop.url(f"/orders/{order_id}"), timeout=30)
    return str(answer.json()["status"]) if answer.status_code == 200 else None


def saga_latency_ms(shop: Shop, http: requests.Session) -> float:
    started = time.perf_counter()
    order_id = place_order(shop, http)
    assert order_id is not None, "an order was refused"
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while (status := status_of(shop, http, order_id)) != "CONFIRMED":
        if status in TERMINAL or time.monotonic() > deadline:
            raise RuntimeError(f"order {order_id} ended {status}, not CONFIRMED")
        time.sleep(POLL_INTERVAL_S)
    return (time.perf_counter() - started) * 1000


def sequential_latencies(shop: Shop, orders: int) -> list[float]:
    http = shop.session("alice")
    for _ in range(3):  # every function of the saga started once
        saga_latency_ms(shop, http)
    figures = []
    for number in range(orders):
        figures.append(saga_latency_ms(shop, http))
        if (number + 1) % 10 == 0:
            print(f"    {number + 1}/{orders} orders confirmed", flush=True)
    return figures


def place_for(shop: Shop, clients: int, seconds: float) -> tuple[Placed, float]:
    """Clients placing orders back to back until the window closes; orders and elapsed s."""
    placed = Placed()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        http = shop.session("alice" if number % 2 == 0 else "bob")
        while time.monotonic() < deadline:
            order_id = place_order(shop, http)
            with placed.lock:
                if order_id is None:
                    placed.failures += 1
                else:
                    placed.orders.append((order_id, http))

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    report_progress(placed, threads)
    return placed, time.monotonic() - started


def report_progress(placed: Placed, threads: list[threading.Thread]) -> None:
    last = time.monotonic()
    while any(thread.is_alive() for thread in threads):
        threads[0].join(timeout=0.5)
        if time.monotonic() - last >= 5:
            last = time.monotonic()
            print(f"      {len(placed.orders)} orders accepted so far", flush=True)
    for thread in threads:
        thread.join()


def settle(shop: Shop, placed: Placed) -> tuple[dict[str, int], int, float]:
    """Final statuses, orders still not final after the bounded wait, and seconds waited."""
    started = time.monotonic()
    pending = list(placed.orders)
    finals: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=8) as pool:
        while pending and time.monotonic() - started < SETTLE_TIMEOUT_S:
            statuses = list(pool.map(lambda item: status_of(shop, item[1], item[0]), pending))
            still = []
            for item, status in zip(pending, statuses, strict=True):
                if status in TERMINAL:
                    finals[status] = finals.get(status, 0) + 1
                else:
                    still.append(item)
            pending = still
            if pending:
                time.sleep(0.2)
    return finals, len(pending), time.monotonic() - started


def get_item_ms(shop: Shop, calls: int) -> list[float]:
    stack = shop.cloud.stack
    assert stack is not None
    dynamodb = boto3.client("dynamodb", endpoint_url=shop.cloud.endpoint_url)
    table = stack.physical_ids["PetsTable"]
    key = {"pk": {"S": "bench-probe"}, "sk": {"S": "bench-probe"}}
    figures = []
    for _ in range(calls + 20):
        started = time.perf_counter()
        dynamodb.get_item(TableName=table, Key=key)
        figures.append((time.perf_counter() - started) * 1000)
    return figures[20:]


def dead_letters(shop: Shop) -> int:
    """Messages in the dead-letter queues (or topics): where a stuck order has its event."""
    stack = shop.cloud.stack
    assert stack is not None
    if shop.cloud.kafka.broker is not None:
        return dead_letter_records(shop)
    sqs = boto3.client("sqs", endpoint_url=shop.cloud.endpoint_url)
    total = 0
    for logical_id, url in stack.physical_ids.items():
        if logical_id.endswith("DeadLetterQueue"):
            attributes = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            total += int(attributes["ApproximateNumberOfMessages"])
    return total


def dead_letter_records(shop: Shop) -> int:
    """Records in the Kafka consumers' on-failure topics (each is written on its own, so
    the local broker's end offsets count them)."""
    from confluent_kafka import Consumer, TopicPartition

    from localcloud.kafka_provisioning import kafka_stack_of

    assert shop.cloud.stack is not None and shop.cloud.kafka.broker is not None
    consumer = Consumer(
        {"bootstrap.servers": shop.cloud.kafka.broker.bootstrap_servers, "group.id": "bench"}
    )
    try:
        topics = {m.on_failure_topic for m in kafka_stack_of(shop.cloud.stack).mappings}
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)[1]
            for topic in topics
            if topic
            for partition in consumer.list_topics(topic, timeout=10).topics[topic].partitions
        )
    finally:
        consumer.close()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def announced(what: str, step: Callable[[], Any]) -> Any:
    print(what, flush=True)
    return step()


@dataclass
class TransportRun:
    transport: str
    get_item: list[float]
    latencies: list[float]
    results: list[tuple[int, Placed, float, dict[str, int], int, float]]
    parked: int
    lost_or_stuck: int


def run_transport(transport: str, args: argparse.Namespace) -> TransportRun:
    shop = announced(
        f"[{transport}] Starting the local cloud ({TEMPLATES[transport].relative_to(PROJECT)}, "
        "free ports)",
        lambda: start_shop(args.log, transport),
    )
    lost_or_stuck = 0
    try:
        get_item = announced(
            "(c) emulator round trip: boto3 GetItem x 300", lambda: get_item_ms(shop, 300)
        )
        latencies = announced(
            f"(a) saga latency over {args.orders} sequential orders",
            lambda: sequential_latencies(shop, args.orders),
        )
        results: list[tuple[int, Placed, float, dict[str, int], int, float]] = []
        for clients in args.clients:
            print(f"(b) {clients} concurrent clients for {args.seconds:.0f} s", flush=True)
            placed, elapsed = place_for(shop, clients, args.seconds)
            print(
                f"    {len(placed.orders)} accepted; waiting until every one is final", flush=True
            )
            finals, stuck, waited = settle(shop, placed)
            lost_or_stuck += stuck
            results.append((clients, placed, elapsed, finals, stuck, waited))
        parked = dead_letters(shop)
    finally:
        shop.cloud.stop()
    return TransportRun(transport, get_item, latencies, results, parked, lost_or_stuck)


def print_results(run: TransportRun) -> None:
    print(f"\nResults over {run.transport}")
    item_p50, item_p95 = percentiles(run.get_item)
    saga_p50, saga_p95 = percentiles(run.latencies)
    print(f"  GetItem (yardstick)    p50 {item_p50:8.2f} ms   p95 {item_p95:8.2f} ms")
    print(
        f"  saga POST->CONFIRMED   p50 {saga_p50:8.2f} ms   p95 {saga_p95:8.2f} ms"
        f"   ({saga_p50 / item_p50:.0f} x GetItem p50)"
    )
    for clients, placed, elapsed, finals, stuck, waited in run.results:
        accepted = len(placed.orders)
        print(
            f"  {clients:2d} clients: {accepted / elapsed:6.1f} orders/s accepted "
            f"({accepted} in {elapsed:.1f} s, {placed.failures} refused or timed out); "
            f"waited {waited:.1f} s after the window for final states "
            f"({accepted / (elapsed + waited):.1f} orders/s end to end); "
            f"final {dict(sorted(finals.items()))}; lost or stuck {stuck}"
        )
    print(f"  messages in dead-letter queues (or topics) at the end: {run.parked}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="throughput window (s)")
    parser.add_argument("--orders", type=int, default=30, help="sequential orders for (a)")
    parser.add_argument(
        "--clients", type=int, nargs="+", default=list(CONCURRENCY), help="concurrency for (b)"
    )
    parser.add_argument(
        "--transports", nargs="+", choices=sorted(TEMPLATES), default=["sns", "kafka"]
    )
    parser.add_argument("--log", type=Path, help="write the handlers' logs to this file")
    args = parser.parse_args()

    runs = [run_transport(transport, args) for transport in args.transports]
    for run in runs:
        print_results(run)
    return 1 if any(run.lost_or_stuck for run in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
