"""`make soak`: `petstore up` (as `make run` starts it, with its demo data) under light
mixed traffic (browse, order, pay, read) for a long time, then idle; every minute the
resident memory and CPU of each of its processes (the emulator, the gateway and pollers'
process, each function's worker), and at the end the memory growth per hour after the
warm-up and the CPU of the idle system. Figures, not a pass/fail test.

    SOAK_MINUTES=60 make soak
    PYTHONPATH=tests .venv/bin/python -m load.run_soak --minutes 10
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from load.load_traffic import run_traffic, warm_up
from load.process_usage import Usage, process_tree, usage_of

from petstore_cli.demo_users import id_token
from support.api_client import ApiClient
from support.petstore_process import RunningUp, start_petstore_up

SAMPLE_EVERY_S = 60.0
THINK_S = 1.0
"""A shopper's mean pause between two actions: two shoppers make ~2 requests a second."""
IDLE_SETTLE_S = 30.0
"""After the traffic stops, left out of the idle figures: the saga's last events."""
MB = 2**20


@dataclass
class Sample:
    at: float
    usage: dict[int, Usage]


@dataclass
class Soak:
    started: float
    samples: list[Sample] = field(default_factory=list)

    def take(self, root: int) -> Sample:
        sample = Sample(time.monotonic(), usage_of(process_tree(root)))
        self.samples.append(sample)
        return sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES") or 60)
    )
    parser.add_argument("--warm-up-minutes", type=float, help="default: a quarter, 15 at most")
    parser.add_argument("--idle-minutes", type=float, help="default: a fifth, 5 at most")
    parser.add_argument("--log", type=Path, help="write `petstore up`'s output to this file")
    arguments = parser.parse_args(argv)
    minutes = arguments.minutes
    warm_up_minutes = arguments.warm_up_minutes or min(15.0, minutes / 4)
    idle_minutes = arguments.idle_minutes or min(5.0, minutes / 5)
    print(
        f"soak: {minutes:g} min ({warm_up_minutes:g} warm-up, traffic until "
        f"{minutes - idle_minutes:g}, then idle)",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as state_dir:
        running = start_petstore_up(Path(state_dir), log=arguments.log)
        try:
            return _soak(running, Path(state_dir), minutes, warm_up_minutes, idle_minutes)
        finally:
            running.stop()


def _soak(
    running: RunningUp, state_dir: Path, minutes: float, warm_up_minutes: float, idle_minutes: float
) -> int:
    shoppers, pet_ids = _demo_shoppers(running, state_dir)
    warm_up(shoppers[0], pet_ids[0])
    soak = Soak(time.monotonic())
    traffic_s = (minutes - idle_minutes) * 60
    traffic = threading.Thread(
        target=run_traffic,
        args=(shoppers, pet_ids, traffic_s),
        kwargs={"think_s": THINK_S, "max_orders_per_shopper": 1000},
        daemon=True,
    )
    traffic.start()
    previous = soak.take(running.process.pid)
    while (elapsed := time.monotonic() - soak.started) < minutes * 60:
        time.sleep(min(SAMPLE_EVERY_S, minutes * 60 - elapsed))
        sample = soak.take(running.process.pid)
        phase = "traffic" if traffic.is_alive() else "idle"
        print(_minute_table(previous, sample, soak.started, phase), flush=True)
        previous = sample
    print(_summary(soak, warm_up_minutes * 60, traffic_s + IDLE_SETTLE_S), flush=True)
    return 0


def _demo_shoppers(running: RunningUp, state_dir: Path) -> tuple[list[ApiClient], list[str]]:
    state = json.loads((state_dir / "cloud.json").read_text())
    cognito = boto3.client(
        "cognito-idp", endpoint_url=state["endpoint_url"], region_name=state["region"]
    )
    client_id = state["outputs"]["UserPoolClientId"]
    shoppers = [
        ApiClient(running.api_url, state["region"], id_token(cognito, client_id, user))
        for user in ("alice", "bob")
    ]
    pets = shoppers[0].get("/pets?limit=20").json()["items"]
    return shoppers, [pet["id"] for pet in pets]


def _minute_table(before: Sample, after: Sample, started: float, phase: str) -> str:
    seconds = after.at - before.at
    lines = [f"--- minute {round((after.at - started) / 60)} ({phase})"]
    total_rss = total_cpu = 0.0
    for pid, usage in sorted(after.usage.items(), key=lambda item: item[1].name):
        cpu = _cpu_percent(before.usage.get(pid), usage, seconds)
        total_rss += usage.rss_bytes
        total_cpu += cpu
        lines.append(f"  {usage.name:<52} {usage.rss_bytes / MB:7.1f} MB {cpu:6.1f} % cpu")
    lines.append(
        f"  {'all ' + str(len(after.usage)) + ' processes':<52} "
        f"{total_rss / MB:7.1f} MB {total_cpu:6.1f} % cpu"
    )
    return "\n".join(lines)


def _cpu_percent(before: Usage | None, after: Usage, seconds: float) -> float:
    spent = after.cpu_s - (before.cpu_s if before is not None else 0.0)
    return 100 * spent / seconds if seconds > 0 else 0.0


def _summary(soak: Soak, warm_up_s: float, idle_from_s: float) -> str:
    kept = [s for s in soak.samples if s.at - soak.started >= warm_up_s]
    idle = [s for s in soak.samples if s.at - soak.started >= idle_from_s]
    lines = ["=== summary"]
    names = sorted({usage.name for sample in soak.samples for usage in sample.usage.values()})
    lines.append(
        f"  {'process':<52} {'RSS at end':>10} {'growth/h':>10} {'idle':>10} {'idle cpu':>9}"
    )
    for name in names:
        growth = _growth_mb_per_hour(kept, name)
        idle_cpu = _idle_cpu(idle, name)
        end_rss = sum(u.rss_bytes for u in soak.samples[-1].usage.values() if u.name == name)
        lines.append(
            f"  {name:<52} {end_rss / MB:7.1f} MB {_figure(growth, 'MB'):>10} "
            f"{_figure(_growth_mb_per_hour(idle, name), 'MB'):>10} {_figure(idle_cpu, '%'):>9}"
        )
    lines.append(
        f"  {'all':<52} {sum(u.rss_bytes for u in soak.samples[-1].usage.values()) / MB:7.1f} MB "
        f"{_figure(_growth_mb_per_hour(kept, None), 'MB'):>10} "
        f"{_figure(_growth_mb_per_hour(idle, None), 'MB'):>10} "
        f"{_figure(_idle_cpu(idle, None), '%'):>9}"
    )
    started = len(set(soak.samples[-1].usage) - set(kept[0].usage)) if kept else 0
    lines.append(
        f"  growth: least-squares slope of RSS over the {len(kept)} samples after the "
        f"{warm_up_s / 60:g} min warm-up, of the processes running throughout ({started} "
        "workers started since); idle: the same, over the idle samples; idle cpu: % of one core "
        "over the last "
        f"{(idle[-1].at - idle[0].at) / 60 if len(idle) > 1 else 0:.1f} min, no traffic"
    )
    return "\n".join(lines)


def _growth_mb_per_hour(samples: list[Sample], name: str | None) -> float | None:
    """Of the processes that lived through every sample (a worker started later is new
    memory, not growth)."""
    if len(samples) < 2:
        return None
    lasting = set.intersection(*(set(sample.usage) for sample in samples))
    times = [sample.at / 3600 for sample in samples]
    values = [
        sum(
            usage.rss_bytes / MB
            for pid, usage in sample.usage.items()
            if pid in lasting and (name is None or usage.name == name)
        )
        for sample in samples
    ]
    mean_t, mean_v = sum(times) / len(times), sum(values) / len(values)
    spread = sum((t - mean_t) ** 2 for t in times)
    return sum((t - mean_t) * (v - mean_v) for t, v in zip(times, values, strict=True)) / spread


def _idle_cpu(samples: list[Sample], name: str | None) -> float | None:
    if len(samples) < 2:
        return None
    first, last = samples[0], samples[-1]
    spent = sum(
        usage.cpu_s - first.usage[pid].cpu_s
        for pid, usage in last.usage.items()
        if pid in first.usage and (name is None or usage.name == name)
    )
    return 100 * spent / (last.at - first.at)


def _figure(value: float | None, unit: str) -> str:
    return (
        "-" if value is None else f"{value:+.1f} {unit}" if unit == "MB" else f"{value:.1f} {unit}"
    )


if __name__ == "__main__":
    sys.exit(main())
