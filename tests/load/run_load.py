"""`make load`: mixed browse, order, cancel and pay traffic from many shoppers against a
fresh local cloud (the template's own queue settings, as `make run` has them) for a
bounded time; then, once the backlog drained (bounded too), the saga's invariants 1, 2
and 4; then throughput, p50/p95/p99 and errors by status. Exits 1 if an invariant fails.

    PYTHONPATH=tests .venv/bin/python -m load.run_load --seconds 60 --users 12
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from load.load_traffic import format_report, run_traffic, warm_up
from load.saga_invariants import saga_violations, wait_until_terminal

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import LOCAL_CREDENTIALS, free_port
from support.saga_http import TERMINAL, add_pet, shop_for_module, shopper

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PET_STOCKS = (1000, 1000, 5)
"""Plenty of two pets, and one that sells out (orders for it are rejected or refused)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="traffic duration")
    parser.add_argument("--users", type=int, default=12, help="concurrent shoppers")
    parser.add_argument("--think-ms", type=float, default=100.0, help="mean pause per shopper")
    parser.add_argument("--drain-s", type=float, default=300.0, help="bound on the backlog wait")
    parser.add_argument("--log", type=Path, help="write the functions' logs to this file")
    arguments = parser.parse_args(argv)
    os.environ.update(LOCAL_CREDENTIALS)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    cloud = LocalCloud(
        LocalCloudConfig(
            template=PROJECT_ROOT / "template.yaml",
            api_port=free_port(),
            emulator_port=free_port(),
            quiet=arguments.log is None,
            log_stream=open(arguments.log or os.devnull, "w"),  # noqa: SIM115
        )
    )
    print(f"starting a fresh local cloud ({arguments.users} shoppers, {arguments.seconds:.0f} s)")
    cloud.start()
    try:
        shop = shop_for_module(cloud)
        shoppers = [shopper(shop, f"load-{number}") for number in range(arguments.users)]
        pets = {add_pet(shop, stock=stock): stock for stock in PET_STOCKS}
        warm_up(shoppers[0], next(iter(pets)))
        report = run_traffic(
            shoppers, list(pets), arguments.seconds, think_s=arguments.think_ms / 1000
        )
        settling = time.monotonic()
        final = wait_until_terminal(report.orders, arguments.drain_s)
        terminal = sum(1 for order in final.values() if order["status"] in TERMINAL)
        print(
            f"{terminal} of {len(report.orders)} orders terminal "
            f"{time.monotonic() - settling:.1f} s after the traffic stopped"
        )
        violations = saga_violations(
            shop.anonymous, pets, report.orders, arguments.drain_s, shoppers
        )
        print(format_report(report, violations, time.monotonic() - settling))
        return 1 if violations else 0
    finally:
        cloud.stop()


if __name__ == "__main__":
    sys.exit(main())
