"""GET /pets latency over real HTTP with 100 pets and with 10,000 pets, in one run.

Starts the whole local cloud from template.yaml (free ports, quiet), fills the pets
table with 100 available pets, and times warm `GET /pets` requests (one page of the
`byStatus` index) through the API Gateway emulator and the ListPetsFunction worker; then
fills the table to 10,000 pets and times them again. A page is one index query of a
fixed size, so the table's size should not show: the target is p50 and p95 at 10,000
pets within 1.3x of those at 100. Beside each size, the same page read by the pets
service's own data access straight from the emulator shows how much of a request is
the emulator's Query.

Run: .venv/bin/python tests/benchmarks/bench_list_pets.py [--requests 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import requests

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import free_port
from localcloud.lambda_.logs import LogSink
from localcloud.model import InvocationResult

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTION_PATH = [REPO_ROOT / "functions" / "pets", REPO_ROOT / "layers" / "shared"]
SMALL, LARGE = 100, 10_000
TARGET_RATIO = 1.3
WARM_UP_REQUESTS = 20
PAGE_SIZE = 20
"""GET /pets' default limit."""
DIRECT_QUERIES = 30
BATCH_SIZE = 25
"""BatchWriteItem's limit."""
PROGRESS_EVERY = 1_000
SPECIES = ("dog", "cat", "bird", "fish", "rabbit")
QUIET_FOR_S = 2.0
SETTLE_TIMEOUT_S = 300.0


class InvocationClock(LogSink):
    """Remembers when any function was last invoked, so that measuring can wait for
    the stream poller to finish with the items just written."""

    def __init__(self) -> None:
        super().__init__(quiet=True)
        self._lock_last = threading.Lock()
        self._last = time.monotonic()

    def invocation(self, function_name: str, result: InvocationResult) -> None:
        self.restart()

    def restart(self) -> None:
        """Counts idleness from now: a function may yet be invoked for what was just
        written."""
        with self._lock_last:
            self._last = time.monotonic()

    def idle_for(self) -> float:
        with self._lock_last:
            return time.monotonic() - self._last


@dataclass(frozen=True)
class Figures:
    over_http: list[float]
    """Seconds per GET /pets."""
    direct_query: list[float]
    """Seconds per read of the same page by the pets DAL, without the API."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per size")
    arguments = parser.parse_args()
    # The pets service's item layout is imported from its own code (see pet_items).
    sys.path[:0] = [str(path) for path in FUNCTION_PATH]
    clock = InvocationClock()
    cloud = LocalCloud(
        LocalCloudConfig(
            template=REPO_ROOT / "template.yaml",
            api_port=free_port(),
            emulator_port=free_port(),
            quiet=True,
        )
    )
    cloud.log_sink = clock
    print("Starting the local cloud…", flush=True)
    cloud.start()
    try:
        figures = measure_both_sizes(cloud, clock, arguments.requests)
    finally:
        cloud.stop()
    print_report(figures, arguments.requests)
    return 0


def measure_both_sizes(
    cloud: LocalCloud, clock: InvocationClock, requests_per_size: int
) -> dict[int, Figures]:
    assert cloud.stack is not None
    table = cloud.stack.physical_ids["PetsTable"]
    dynamodb = boto3.client("dynamodb", endpoint_url=cloud.endpoint_url)
    figures: dict[int, Figures] = {}
    filled = 0
    for size in (SMALL, LARGE):
        fill_pets(dynamodb, table, first=filled, count=size - filled)
        filled = size
        wait_until_idle(clock)
        print(f"  timing GET /pets with {size:,} pets…", flush=True)
        figures[size] = Figures(
            over_http=time_listing(cloud.api_url, requests_per_size),
            direct_query=time_calls(first_page_reader(dynamodb, table), DIRECT_QUERIES),
        )
    return figures


def fill_pets(dynamodb: DynamoDBClient, table: str, *, first: int, count: int) -> None:
    """Writes the pets straight into the emulator's table with BatchWriteItem: adding
    10,000 through POST /pets (one request and one conditional put each) would take
    minutes and measure the wrong thing."""
    started = time.monotonic()
    total = first + count
    batch: list[dict[str, Any]] = []
    for number, item in enumerate(pet_items(first, count), start=first + 1):
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == BATCH_SIZE or number == total:
            write_batch(dynamodb, table, batch)
            batch = []
        if number % PROGRESS_EVERY == 0:
            print(f"  filled {number:,} / {total:,} pets", flush=True)
    print(f"  {total:,} pets in the table ({time.monotonic() - started:.1f} s)", flush=True)


def pet_items(first: int, count: int) -> Iterator[dict[str, Any]]:
    """Available pets as the pets service stores them (its own `pet_to_item`), each
    added a millisecond after the previous one."""
    from pets.dal.pet_items import pet_to_item
    from pets.models import Money, Pet

    start = datetime(2026, 1, 1, tzinfo=UTC)
    for number in range(first, first + count):
        added = start + timedelta(milliseconds=number)
        pet = Pet(
            id=str(uuid.uuid4()),
            name=f"Pet {number}",
            species=SPECIES[number % len(SPECIES)],
            price=Money(amount=Decimal("19.99"), currency="USD"),
            stock=number % 7,
            description=f"Bench pet number {number}.",
            tags=["bench"],
            version=1,
            created_at=added,
            updated_at=added,
        )
        yield pet_to_item(pet)


def write_batch(dynamodb: DynamoDBClient, table: str, batch: list[dict[str, Any]]) -> None:
    pending: Any = {table: batch}
    while pending:
        pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems")


def wait_until_idle(clock: InvocationClock) -> None:
    """Writing to the table feeds its stream, whose poller invokes the outbox publisher
    with every new item; timing starts once no function has run for QUIET_FOR_S."""
    started = time.monotonic()
    clock.restart()
    while clock.idle_for() < QUIET_FOR_S:
        if time.monotonic() - started > SETTLE_TIMEOUT_S:
            raise RuntimeError(f"functions still running after {SETTLE_TIMEOUT_S:.0f} s")
        time.sleep(QUIET_FOR_S - clock.idle_for() + 0.05)
    print(f"  stream settled ({time.monotonic() - started:.1f} s)", flush=True)


def time_listing(api_url: str, count: int) -> list[float]:
    """Seconds per warm `GET /pets` (the first page) on one keep-alive connection,
    after WARM_UP_REQUESTS untimed ones."""
    session = requests.Session()

    def list_first_page() -> None:
        response = session.get(f"{api_url}/pets", timeout=30)
        if response.status_code != 200 or len(response.json()["items"]) != PAGE_SIZE:
            raise RuntimeError(f"GET /pets answered {response.status_code}: {response.text}")

    time_calls(list_first_page, WARM_UP_REQUESTS)
    return time_calls(list_first_page, count)


def first_page_reader(dynamodb: DynamoDBClient, table: str) -> Callable[[], None]:
    """The read behind GET /pets, by the pets service's own data access."""
    from pets.dal.pets_table import PetsTable
    from pets.models import PetStatus

    pets = PetsTable(dynamodb, table)

    def read() -> None:
        pets.list_pets(PetStatus.AVAILABLE, None, PAGE_SIZE, None)

    return read


def time_calls(call: Callable[[], None], count: int) -> list[float]:
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    return durations


def percentile(samples: list[float], which: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[which - 1]


def print_report(figures: dict[int, Figures], requests_per_size: int) -> None:
    print(f"GET /pets (first page, {PAGE_SIZE} pets) over HTTP, warm, {requests_per_size} requests")
    print(f"{'pets':>8} {'HTTP p50':>10} {'HTTP p95':>10} {'query p50':>10}")
    for size, measured in figures.items():
        http_p50, http_p95 = percentile(measured.over_http, 50), percentile(measured.over_http, 95)
        query_p50 = statistics.median(measured.direct_query)
        print(f"{size:>8,} {ms(http_p50):>10} {ms(http_p95):>10} {ms(query_p50):>10}")
    for which in (50, 95):
        large, small = figures[LARGE].over_http, figures[SMALL].over_http
        ratio = percentile(large, which) / percentile(small, which)
        verdict = "ok" if ratio <= TARGET_RATIO else "over"
        print(f"p{which} ratio {LARGE:,} / {SMALL:,} pets: {ratio:.2f} {verdict}")
    print(
        f"(target ratio <= {TARGET_RATIO}; query = the same page read by the pets DAL "
        f"straight from the emulator, median of {DIRECT_QUERIES})"
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}ms"


if __name__ == "__main__":
    sys.exit(main())
