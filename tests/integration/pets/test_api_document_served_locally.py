"""`petstore up` (what `make run` starts) serves the committed OpenAPI document beside
the API, byte for byte."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from localcloud.emulator.process import free_port

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[3]
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


def wait_until_answering(url: str, process: subprocess.Popen[bytes]) -> requests.Response:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"petstore up exited with {process.returncode}")
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {STARTUP_TIMEOUT_S} s")


@pytest.fixture
def running_petstore(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`petstore up --no-seed` on free ports, from the project root as `make run` runs
    it; its state file kept out of the project's."""
    api_url = f"http://127.0.0.1:{free_port()}"
    command = [
        sys.executable,
        "-m",
        "petstore_cli",
        "up",
        "--no-seed",
        "--port",
        api_url.rsplit(":", 1)[1],
        "--emulator-port",
        str(free_port()),
    ]
    environment = {**os.environ, "PETSTORE_STATE_FILE": str(tmp_path / "cloud.json")}
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield api_url, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_openapi_json_served_locally_equals_docs_openapi_json(
    running_petstore: tuple[str, subprocess.Popen[bytes]],
) -> None:
    api_url, process = running_petstore

    served = wait_until_answering(f"{api_url}/openapi.json", process)

    assert served.status_code == 200
    assert served.headers["Content-Type"] == "application/json"
    assert served.content == (PROJECT_ROOT / "docs" / "openapi.json").read_bytes()
