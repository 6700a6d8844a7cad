"""The local cloud's own overheads, measured side by side in one run.

(a) `petstore up` time to its ready line (emulator, provisioning, API, pollers,
    demo data), as a developer sees it after `make run`;
(b) p50/p95 of a trivial route through the API Gateway emulator and a warm Lambda
    worker, beside a direct boto3 GetItem on the same emulator — target ratio ≤ 1.5.

Run: .venv/bin/python tests/benchmarks/bench_local_cloud.py [--requests 300]
"""

from __future__ import annotations

import argparse
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

PROJECT = Path(__file__).resolve().parents[2]
APP_TEMPLATE = PROJECT / "tests/integration/localcloud/cloud_app/template.yaml"


def time_to_ready(runs: int) -> list[float]:
    """Seconds from starting `petstore up` to its ready line, over `runs` starts."""
    figures = []
    for run in range(runs):
        started = time.monotonic()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "petstore_cli.main",
                "up",
                "--port",
                str(free_port()),
                "--emulator-port",
                str(free_port()),
            ],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PETSTORE_STATE_FILE": f"/tmp/petstore-bench-{os.getpid()}.json"},
        )
        assert process.stdout is not None
        printed = []
        for line in process.stdout:
            printed.append(line)
            if "ready in" in line:
                figures.append(time.monotonic() - started)
                break
        else:
            raise RuntimeError(
                f"petstore up exited without its ready line (run {run + 1}):\n" + "".join(printed)
            )
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
        print(f"  start {run + 1}/{runs}: ready after {figures[-1]:.2f} s", flush=True)
    return figures


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
    ready = time_to_ready(args.starts)
    print(f"    median {statistics.median(ready):.2f} s over {len(ready)} starts (target < 5 s)")

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
