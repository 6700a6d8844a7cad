"""The local cloud's own overheads, measured side by side in one run.

(a) `petstore up` time to its ready line (emulator, provisioning, API, pollers,
    demo data), as a developer sees it after `make run` (target <= 3 s), and the first
    saga order placed after ready to CONFIRMED beside a second (warm) order (target:
    the first within 2x of the warm one); starts with and without `--no-preload`
    alternate, so both see the same machine load;
(b) p50/p95 of a trivial route through the API Gateway emulator and a warm Lambda
    worker, beside a direct boto3 GetItem on the same emulator — target ratio ≤ 1.5.

Run: .venv/bin/python tests/benchmarks/bench_local_cloud.py [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import boto3
import requests

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import free_port
from petstore_cli.demo_users import id_token

PROJECT = Path(__file__).resolve().parents[2]
APP_TEMPLATE = PROJECT / "tests/integration/localcloud/cloud_app/template.yaml"
ORDER_TIMEOUT_S = 60.0


def order_to_confirmed(state_file: Path) -> tuple[float, float]:
    """Seconds from placing an order to reading it CONFIRMED, for alice's first order on
    a cloud just ready and for her second."""
    state = json.loads(state_file.read_text())
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=state["endpoint_url"],
        region_name=state["region"],
        aws_access_key_id=state["access"]["access_key_id"],
        aws_secret_access_key=state["access"]["secret_access_key"],
    )
    http = requests.Session()
    http.headers["Authorization"] = (
        f"Bearer {id_token(cognito, state['outputs']['UserPoolClientId'], 'alice')}"
    )
    api = state["api_url"]
    pets = http.get(f"{api}/pets", timeout=30).json()["items"]
    pet_id = next(pet["id"] for pet in pets if pet.get("stock", 0) >= 2)
    return confirmed_after(http, api, pet_id), confirmed_after(http, api, pet_id)


def confirmed_after(http: requests.Session, api: str, pet_id: str) -> float:
    started = time.monotonic()
    body = {"petId": pet_id, "quantity": 1, "paymentToken": "tok_visa"}
    answer = http.post(f"{api}/orders", json=body, timeout=30)
    if answer.status_code != 201:
        raise RuntimeError(f"the order was refused: {answer.status_code} {answer.text}")
    order_id = answer.json()["orderId"]
    while http.get(f"{api}/orders/{order_id}", timeout=30).json()["status"] != "CONFIRMED":
        if time.monotonic() - started > ORDER_TIMEOUT_S:
            raise RuntimeError(f"order {order_id} was not CONFIRMED in {ORDER_TIMEOUT_S:.0f} s")
        time.sleep(0.005)
    return time.monotonic() - started


Starts = tuple[list[float], list[tuple[float, float]]]
"""Seconds to the ready line of each start, and its first and second orders' seconds to
CONFIRMED."""


def time_to_ready(runs: int) -> dict[str, Starts]:
    """`runs` starts of `petstore up` as `make run` starts it, each followed by one with
    `--no-preload`."""
    kinds = {"preloaded": [], "--no-preload": ["--no-preload"]}
    starts: dict[str, Starts] = {kind: ([], []) for kind in kinds}
    for run in range(runs):
        for kind, arguments in kinds.items():
            figures, orders = starts[kind]
            one_start(arguments, figures, orders)
            first, warm = orders[-1]
            print(
                f"  start {run + 1}/{runs} ({kind}): ready after {figures[-1]:.2f} s; first "
                f"order CONFIRMED after {first * 1000:.0f} ms, warm order {warm * 1000:.0f} ms",
                flush=True,
            )
    return starts


def one_start(
    arguments: list[str], figures: list[float], orders: list[tuple[float, float]]
) -> None:
    """One `petstore up` with `arguments`: its time to ready, then its two orders."""
    state_file = Path(f"/tmp/petstore-bench-{os.getpid()}.json")
    started = time.monotonic()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "petstore_cli",
            "up",
            "--port",
            str(free_port()),
            "--emulator-port",
            str(free_port()),
            *arguments,
        ],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PETSTORE_STATE_FILE": str(state_file)},
    )
    assert process.stdout is not None
    printed = []
    for line in process.stdout:
        printed.append(line)
        if "ready in" in line:
            figures.append(time.monotonic() - started)
            break
    else:
        raise RuntimeError("petstore up exited without its ready line:\n" + "".join(printed))
    try:
        orders.append(order_to_confirmed(state_file))
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def route_beside_get_item(requests_count: int) -> tuple[list[float], list[float]]:
    cloud = LocalCloud(
        LocalCloudConfig(
            template=APP_TEMPLATE,
            stack_name="bench",
            api_port=free_port(),
            emulator_port=free_port(),
            quiet=True,
        )
    )
    cloud.start()
    try:
        assert cloud.stack is not None
        table = cloud.stack.physical_ids["ItemsTable"]
        dynamodb = boto3.client("dynamodb", endpoint_url=cloud.endpoint_url)
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "probe"}})
        http = requests.Session()
        url = f"{cloud.api_url}/environment"
        for _ in range(20):  # warm both paths: worker started, connections open
            http.get(url, timeout=30).raise_for_status()
            dynamodb.get_item(TableName=table, Key={"pk": {"S": "probe"}})
        route_ms, get_item_ms = [], []
        for _ in range(requests_count):  # alternate so both see the same machine load
            started = time.perf_counter()
            http.get(url, timeout=30).raise_for_status()
            route_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            dynamodb.get_item(TableName=table, Key={"pk": {"S": "probe"}})
            get_item_ms.append((time.perf_counter() - started) * 1000)
        return route_ms, get_item_ms
    finally:
        cloud.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--starts", type=int, default=3)
    args = parser.parse_args()

    print("(a) petstore up: time to ready")
    for kind, (ready, orders) in time_to_ready(args.starts).items():
        first = statistics.median(order[0] for order in orders)
        warm = statistics.median(order[1] for order in orders)
        print(
            f"    {kind}: ready median {statistics.median(ready):.2f} s over {len(ready)} "
            f"starts (target <= 3 s); first order after ready to CONFIRMED median "
            f"{first * 1000:.0f} ms, warm order {warm * 1000:.0f} ms, ratio {first / warm:.2f} "
            "(target <= 2)"
        )

    print(f"(b) trivial route through the API emulator vs boto3 GetItem ({args.requests} each)")
    route_ms, get_item_ms = route_beside_get_item(args.requests)
    route_p50, route_p95 = percentiles(route_ms)
    item_p50, item_p95 = percentiles(get_item_ms)
    print(f"    API route   p50 {route_p50:6.2f} ms   p95 {route_p95:6.2f} ms")
    print(f"    GetItem     p50 {item_p50:6.2f} ms   p95 {item_p95:6.2f} ms")
    print(
        f"    ratio p50 {route_p50 / item_p50:.2f}   p95 {route_p95 / item_p95:.2f}"
        "   (target ≤ 1.5)"
    )


if __name__ == "__main__":
    main()
