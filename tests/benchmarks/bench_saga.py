"""The order saga under load, measured side by side in one run on the local cloud, over
each event transport in turn (SNS/SQS from template.yaml, then Kafka from
infrastructure/kafka/template.yaml on the local broker, then RabbitMQ from
infrastructure/rabbitmq/template.yaml on the local rabbitmq-server):

(a) end-to-end latency: POST /orders until GET /orders/{id} reads CONFIRMED, p50/p95
    over sequential orders;
(b) sustained throughput: orders accepted per second over a bounded window at 8 and at
    32 concurrent clients, then a wait until every accepted order is final (an order
    is stuck when none has moved on for a minute; lost or stuck orders must be 0), which
    gives the rate the saga completes orders at end to end;
(c) the yardstick: a boto3 DynamoDB GetItem round trip on the same emulator.

Run: .venv/bin/python tests/benchmarks/bench_saga.py [--seconds 30] [--orders 30]
     [--transports sns kafka rabbitmq]
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
from localcloud.emulator.process import LOCAL_CREDENTIALS, free_port
from localcloud.event_sources.kafka.runtime import LocalKafka
from localcloud.event_sources.rabbitmq.runtime import LocalRabbitMQ
from petstore_cli.demo_users import create_demo_users, id_token

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATES = {
    "sns": PROJECT / "template.yaml",
    "kafka": PROJECT / "infrastructure" / "kafka" / "template.yaml",
    "rabbitmq": PROJECT / "infrastructure" / "rabbitmq" / "template.yaml",
}
TERMINAL = frozenset({"CONFIRMED", "REJECTED", "PAYMENT_FAILED", "CANCELLED"})
CONCURRENCY = (8, 32)
SETTLE_TIMEOUT_S = 180.0
STUCK_AFTER_S = 60.0
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
            rabbitmq_port=free_port(),
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
    tokens = {user: id_token(cognito, client_id, user) for user in ("alice", "bob", "admin")}
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
    """Final statuses, orders still not final, and seconds waited. The wait ends when
    every order is final, or when none has moved on for STUCK_AFTER_S (those are stuck).

    While waiting, the orders table is read directly (BatchGetItem, 100 orders a call) so
    that watching costs the pipeline next to nothing; once everything looks final, every
    order is read once more through GET /orders/{id}, as its shopper sees it."""
    started = last_progress = time.monotonic()
    pending = {order_id for order_id, _ in placed.orders}
    while pending and time.monotonic() - last_progress < STUCK_AFTER_S:
        finished = {
            order_id
            for order_id, status in stored_statuses(shop, pending).items()
            if status in TERMINAL
        }
        if finished:
            pending -= finished
            last_progress = time.monotonic()
        if pending:
            time.sleep(2.0)
    waited = time.monotonic() - started
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda item: status_of(shop, item[1], item[0]), placed.orders))
    finals: dict[str, int] = {}
    for status in statuses:
        if status in TERMINAL:
            finals[status] = finals.get(status, 0) + 1
    return finals, len(statuses) - sum(finals.values()), waited


def stored_statuses(shop: Shop, order_ids: set[str]) -> dict[str, str]:
    """Each order's status as the orders table holds it."""
    stack = shop.cloud.stack
    assert stack is not None
    dynamodb = boto3.client("dynamodb", endpoint_url=shop.cloud.endpoint_url)
    table = stack.physical_ids["OrdersTable"]
    ids = sorted(order_ids)
    statuses = {}
    for first in range(0, len(ids), 100):
        keys = [
            {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}}
            for order_id in ids[first : first + 100]
        ]
        request: dict[str, Any] = {
            table: {
                "Keys": keys,
                "ProjectionExpression": "orderId, #s",
                "ExpressionAttributeNames": {"#s": "status"},
            }
        }
        while request:
            answer = dynamodb.batch_get_item(RequestItems=request)
            for item in answer["Responses"].get(table, []):
                statuses[item["orderId"]["S"]] = item["status"]["S"]
            request = answer.get("UnprocessedKeys") or {}
    return statuses


def cpu_seconds() -> dict[str, float]:
    """CPU time used so far by the emulator, by the function workers and by this process
    (the API gateway, the pollers and the bench's clients), read from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:  # exited meanwhile
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    mine = {os.getpid()}
    while more := {pid for pid, parent in parents.items() if parent in mine} - mine:
        mine |= more
    figures = {"emulator": 0.0, "functions": 0.0}
    for pid in mine - {os.getpid()}:
        role = "emulator" if "emulator_server" in commands[pid] else "functions"
        figures[role] += used[pid]
    own = os.times()
    figures["gateway, pollers, clients"] = own.user + own.system
    return figures


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
    if _kafka_broker(shop) is not None:
        return dead_letter_records(shop)
    rabbitmq = shop.cloud.runtime_of(LocalRabbitMQ)
    if rabbitmq is not None and rabbitmq.broker is not None:
        queues = rabbitmq.broker.dead_letter_queues("/")
        counts = rabbitmq.broker.control("list_queues", "/", "name", "messages")
        return sum(row["messages"] for row in counts if row["name"] in queues)
    sqs = boto3.client("sqs", endpoint_url=shop.cloud.endpoint_url)
    total = 0
    for logical_id, url in stack.physical_ids.items():
        if logical_id.endswith("DeadLetterQueue"):
            attributes = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            total += int(attributes["ApproximateNumberOfMessages"])
    return total


def _kafka_broker(shop: Shop) -> str | None:
    kafka = shop.cloud.runtime_of(LocalKafka)
    return kafka.broker.bootstrap_servers if kafka and kafka.broker else None


def dead_letter_records(shop: Shop) -> int:
    """Records in the Kafka consumers' on-failure topics (each is written on its own, so
    the local broker's end offsets count them)."""
    from confluent_kafka import Consumer, TopicPartition

    from localcloud.event_sources.kafka.provisioning import kafka_stack_of

    assert shop.cloud.stack is not None
    consumer = Consumer({"bootstrap.servers": _kafka_broker(shop), "group.id": "bench"})
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
class ConcurrentRun:
    clients: int
    placed: Placed
    elapsed: float
    finals: dict[str, int]
    stuck: int
    waited: float
    cpu: dict[str, float]


@dataclass
class TransportRun:
    transport: str
    get_item: list[float]
    latencies: list[float]
    results: list[ConcurrentRun]
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
        results: list[ConcurrentRun] = []
        for clients in args.clients:
            print(f"(b) {clients} concurrent clients for {args.seconds:.0f} s", flush=True)
            cpu_before = cpu_seconds()
            placed, elapsed = place_for(shop, clients, args.seconds)
            print(
                f"    {len(placed.orders)} accepted; waiting until every one is final", flush=True
            )
            finals, stuck, waited = settle(shop, placed)
            lost_or_stuck += stuck
            cpu = {role: used - cpu_before.get(role, 0.0) for role, used in cpu_seconds().items()}
            results.append(ConcurrentRun(clients, placed, elapsed, finals, stuck, waited, cpu))
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
    for result in run.results:
        accepted = len(result.placed.orders)
        print(
            f"  {result.clients:2d} clients: {accepted / result.elapsed:6.1f} orders/s accepted "
            f"({accepted} in {result.elapsed:.1f} s, {result.placed.failures} refused or "
            f"timed out); waited {result.waited:.1f} s after the window for final states "
            f"({accepted / (result.elapsed + result.waited):.1f} orders/s end to end); "
            f"final {dict(sorted(result.finals.items()))}; lost or stuck {result.stuck}"
        )
        if accepted:
            print(
                "      CPU ms per order: "
                + ", ".join(
                    f"{role} {used / accepted * 1000:.1f}" for role, used in result.cpu.items()
                )
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
        "--transports", nargs="+", choices=sorted(TEMPLATES), default=["sns", "kafka", "rabbitmq"]
    )
    parser.add_argument("--log", type=Path, help="write the handlers' logs to this file")
    args = parser.parse_args()

    runs = [run_transport(transport, args) for transport in args.transports]
    for run in runs:
        print_results(run)
    return 1 if any(run.lost_or_stuck for run in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
