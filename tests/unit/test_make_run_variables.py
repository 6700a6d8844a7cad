"""`make run` passes its variables on to `petstore up`, and a first install says it is
compiling bytecode before it goes quiet for half a minute (make's dry run: nothing runs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def dry_run(*argv: str) -> str:
    return subprocess.run(
        ["make", "--dry-run", *argv],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.replace("\\\n", " ")  # a recipe's continued lines as the shell reads them


def test_port_emulator_port_and_stack_reach_petstore_up() -> None:
    printed = dry_run("run", "PORT=3100", "EMULATOR_PORT=4600", "STACK=mine")

    [up] = [line for line in printed.splitlines() if "petstore up" in line]
    assert "--port 3100" in up
    assert "--emulator-port 4600" in up
    assert "--stack-name mine" in up


def test_params_reach_petstore_up_as_parameter_overrides() -> None:
    printed = dry_run("run", "PARAMS=ConsumerVisibilityTimeout=5 ConsumerMaxReceiveCount=2")

    [up] = [line for line in printed.splitlines() if "petstore up" in line]
    assert up.rstrip().endswith(
        "--parameter-overrides ConsumerVisibilityTimeout=5 ConsumerMaxReceiveCount=2"
    )


def test_without_variables_petstore_up_keeps_its_defaults() -> None:
    [up] = [line for line in dry_run("run").splitlines() if "petstore up" in line]

    assert "--port" not in up
    assert "--stack-name" not in up


def test_an_install_announces_the_bytecode_compilation_before_it() -> None:
    printed = dry_run("--what-if=uv.lock", "install").splitlines()

    announced = next(i for i, line in enumerate(printed) if "compiling their bytecode" in line)
    synced = next(i for i, line in enumerate(printed) if "sync --frozen --compile-bytecode" in line)
    assert announced < synced


def test_state_reaches_petstore_up() -> None:
    printed = dry_run("run", "STATE=.local/state")

    [up] = [line for line in printed.splitlines() if "petstore up" in line]
    assert "--state .local/state" in up
