"""An emulator whose local cloud died without stopping it stops by itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.integration

STARTS_AND_DIES = """
import os, sys
from localcloud.emulator.process import free_port, start_emulator
emulator = start_emulator(port=free_port())
print(emulator.process.pid, flush=True)
os._exit(9)  # killed: nothing stops the emulator
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_an_emulator_whose_local_cloud_died_stops_within_seconds() -> None:
    started = subprocess.run(
        [sys.executable, "-c", STARTS_AND_DIES],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    emulator_pid = int(started.stdout.split()[0])

    deadline = time.monotonic() + 10
    while alive(emulator_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    stopped = not alive(emulator_pid)
    if not stopped:
        os.kill(emulator_pid, 9)
    assert stopped, "the orphaned emulator was still running after 10 s"
