"""Mixed shopper traffic against a running local cloud, for a bounded time: each shopper
a thread that browses, orders, reads, cancels and pays (retrying a failed payment), with
every request's operation, status and latency recorded for the report."""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from load.saga_invariants import TrackedOrder

from support.api_client import ApiClient

OPERATION_WEIGHTS = {
    "browse pets": 30,
    "read a pet": 15,
    "place an order": 25,
    "read an order": 15,
    "cancel an order": 7,
    "pay an order": 8,
}
PAYMENT_TOKENS = ("tok_visa",) * 8 + ("tok_decline", "tok_transient_1")
EXPECTED_REFUSALS = frozenset({404, 409})
"""Statuses the traffic provokes on purpose: a pet sold out, an order no longer
cancellable, a payment not open for a retry."""


@dataclass(frozen=True)
class Sample:
    operation: str
    status: int
    """0 when no HTTP answer came (connection refused or reset, timeout)."""
    seconds: float


@dataclass
class LoadReport:
    duration_s: float
    samples: list[Sample] = field(default_factory=list)
    orders: list[TrackedOrder] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return len(self.samples) / self.duration_s if self.duration_s else 0.0

    def latencies_ms(self, operation: str | None = None) -> tuple[float, float, float]:
        """p50, p95 and p99 in milliseconds, of one operation or of all."""
        seconds = [s.seconds for s in self.samples if operation in (None, s.operation)]
        if len(seconds) < 2:
            value = seconds[0] * 1000 if seconds else 0.0
            return value, value, value
        cuts = statistics.quantiles(seconds, n=100, method="inclusive")
        return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000

    def statuses(self) -> Counter[int]:
        return Counter(sample.status for sample in self.samples)

    def failed_operations(self) -> set[tuple[str, int]]:
        """(operation, status) of every answer counted in `errors`."""
        return {
            (s.operation, s.status)
            for s in self.samples
            if not (200 <= s.status < 300 or s.status in EXPECTED_REFUSALS)
        }

    def errors(self) -> Counter[int]:
        """Answers that are neither a success nor a refusal the traffic asked for."""
        return Counter(
            s.status
            for s in self.samples
            if not (200 <= s.status < 300 or s.status in EXPECTED_REFUSALS)
        )


class _Shopper:
    def __init__(
        self,
        client: ApiClient,
        pet_ids: list[str],
        rng: random.Random,
        record: Callable[[Sample], None],
        max_orders: int,
    ) -> None:
        self.client = client
        self.pet_ids = pet_ids
        self.rng = rng
        self.record = record
        self.max_orders = max_orders
        self.placed: list[TrackedOrder] = []

    def act(self) -> None:
        operation = self.rng.choices(
            list(OPERATION_WEIGHTS), weights=list(OPERATION_WEIGHTS.values())
        )[0]
        if operation == "place an order" and len(self.placed) >= self.max_orders:
            operation = "read an order"
        if operation != "place an order" and operation.endswith("an order") and not self.placed:
            operation = "browse pets"
        getattr(self, "_" + operation.replace(" ", "_"))()

    def _browse_pets(self) -> None:
        self._call("browse pets", "GET", "/pets?limit=20")

    def _read_a_pet(self) -> None:
        self._call("read a pet", "GET", f"/pets/{self.rng.choice(self.pet_ids)}")

    def _place_an_order(self) -> None:
        pet_id = self.rng.choice(self.pet_ids)
        body = {"petId": pet_id, "quantity": 1, "paymentToken": self.rng.choice(PAYMENT_TOKENS)}
        answer = self._call("place an order", "POST", "/orders", body)
        if answer is not None and answer.status_code == 201:
            self.placed.append(TrackedOrder(answer.json()["orderId"], pet_id, 1, self.client))

    def _read_an_order(self) -> None:
        self._call("read an order", "GET", f"/orders/{self._one_of_mine()}")

    def _cancel_an_order(self) -> None:
        self._call("cancel an order", "PUT", f"/orders/{self._one_of_mine()}/cancel")

    def _pay_an_order(self) -> None:
        body = {"orderId": self._one_of_mine(), "paymentToken": "tok_visa"}
        self._call("pay an order", "POST", "/payments", body)

    def _one_of_mine(self) -> str:
        return self.rng.choice(self.placed).order_id

    def _call(
        self, operation: str, method: str, path: str, body: object = None
    ) -> requests.Response | None:
        started = time.perf_counter()
        try:
            answer: requests.Response | None = self.client.request(method, path, body)
        except requests.RequestException:
            answer = None
        elapsed = time.perf_counter() - started
        self.record(Sample(operation, answer.status_code if answer is not None else 0, elapsed))
        return answer


def warm_up(client: ApiClient, pet_id: str) -> None:
    """One call to each route the traffic uses, before the clock starts: a first call also
    starts its function's worker (a cold start, seconds on a busy machine)."""
    unknown = "warm-up"
    client.get("/pets")
    client.get(f"/pets/{pet_id}")
    client.post("/orders", {"petId": unknown, "quantity": 1, "paymentToken": "tok_visa"})
    client.get(f"/orders/{unknown}")
    client.put(f"/orders/{unknown}/cancel")
    client.post("/payments", {"orderId": unknown, "paymentToken": "tok_visa"})


def run_traffic(
    shoppers: list[ApiClient],
    pet_ids: list[str],
    seconds: float,
    *,
    think_s: float = 0.0,
    max_orders_per_shopper: int = 1_000_000,
    seed: int = 7,
) -> LoadReport:
    """Every shopper acting in its own thread until `seconds` have passed."""
    samples: list[Sample] = []
    lock = threading.Lock()

    def record(sample: Sample) -> None:
        with lock:
            samples.append(sample)

    actors = [
        _Shopper(client, pet_ids, random.Random(seed + index), record, max_orders_per_shopper)
        for index, client in enumerate(shoppers)
    ]
    started = time.monotonic()
    deadline = started + seconds

    def shop_until_closing(actor: _Shopper) -> None:
        while time.monotonic() < deadline:
            actor.act()
            if think_s:
                time.sleep(actor.rng.uniform(0, 2 * think_s))

    threads = [threading.Thread(target=shop_until_closing, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = LoadReport(duration_s=time.monotonic() - started, samples=samples)
    report.orders = [order for actor in actors for order in actor.placed]
    return report


def format_report(report: LoadReport, violations: list[str], drained_s: float) -> str:
    p50, p95, p99 = report.latencies_ms()
    lines = [
        f"requests: {len(report.samples)} in {report.duration_s:.1f} s "
        f"= {report.throughput:.1f} req/s; orders accepted: {len(report.orders)}",
        f"latency (ms): p50 {p50:.0f}  p95 {p95:.0f}  p99 {p99:.0f}",
        "by operation:",
    ]
    for operation in OPERATION_WEIGHTS:
        count = sum(1 for s in report.samples if s.operation == operation)
        if count:
            p50, p95, p99 = report.latencies_ms(operation)
            lines.append(
                f"  {operation:16s} {count:6d}  p50 {p50:6.0f}  p95 {p95:6.0f}  p99 {p99:6.0f}"
            )
    lines.append(f"statuses: {dict(sorted(report.statuses().items()))}")
    lines.append(f"errors (not 2xx, 404 or 409): {dict(sorted(report.errors().items()))}")
    for operation, status in sorted(report.failed_operations()):
        lines.append(f"  {operation}: {status}")
    lines.append(f"backlog drained and checked in {drained_s:.1f} s")
    if violations:
        lines.append(f"INVARIANTS VIOLATED ({len(violations)}):")
        lines += [f"  {violation}" for violation in violations[:30]]
    else:
        lines.append("invariants 1, 2 and 4 hold: nothing oversold, no money lost, nothing lost")
    return "\n".join(lines)
