"""`petstore demo` as a developer runs it: against a `petstore up` started on free
ports, one order down each path of the saga, printed as it happens."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.petstore_process import PETSTORE, PROJECT, start_petstore_up

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cloud_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a running `petstore up`, stopped with Ctrl-C afterwards."""
    running = start_petstore_up(tmp_path_factory.mktemp("state"))
    yield running.env
    running.stop()


def run_demo(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PETSTORE, "demo"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=150
    )


def journey_section(output: str, number: int) -> str:
    """The lines of one numbered journey, up to the next one or the summary."""
    match = re.search(rf"^{number}\. .*?(?=^\d\. |^Summary)", output, re.MULTILINE | re.DOTALL)
    assert match, f"journey {number} missing from:\n{output}"
    return match.group(0)


@pytest.mark.timeout(180)
def test_demo_runs_every_journey_to_its_final_state_and_exits_0(
    cloud_env: dict[str, str],
) -> None:
    demo = run_demo(cloud_env)

    assert demo.returncode == 0, demo.stdout + demo.stderr
    journeys = {number: journey_section(demo.stdout, number) for number in range(1, 5)}
    assert "Confirmed" in journeys[1]
    assert re.search(r"\+\s*\d+\.\d\d s\s+CONFIRMED", journeys[1])
    assert re.search(
        r"\+\s*\d+\.\d\d s\s+REJECTED\s+\(inventory.rejected, out_of_stock\)", journeys[2]
    )
    assert re.search(
        r"\+\s*\d+\.\d\d s\s+PAYMENT_FAILED\s+\(payment.failed, card_declined\)", journeys[3]
    )
    assert re.search(r"\+\s*\d+\.\d\d s\s+CANCELLED\s+\(payment.refunded\)", journeys[4])
    assert "payment attempt 1: 99.00 USD REFUNDED" in journeys[4]
    assert "Refund issued" in journeys[4]
    summary = demo.stdout[demo.stdout.index("Summary") :]
    for title, status in [
        ("Confirmed", "CONFIRMED"),
        ("Out of stock", "REJECTED"),
        ("Payment declined", "PAYMENT_FAILED"),
        ("Cancelled after payment", "CANCELLED"),
    ]:
        assert re.search(rf"ok\s+{title}\s+{status}\s", summary), summary


def test_demo_without_a_running_cloud_says_how_to_start_one_and_exits_1(tmp_path: Path) -> None:
    env = {**os.environ, "PETSTORE_STATE_FILE": str(tmp_path / "none.json")}

    demo = run_demo(env)

    assert demo.returncode == 1
    assert "not running" in demo.stderr
    assert "petstore up" in demo.stderr
