"""`petstore up` as the tests start it (support.petstore_process): its output is read for
as long as it runs. A local cloud echoes every function's log lines; were they left
unread, a full pipe would block the threads that write them (a poller among them, holding
its batch unacknowledged) until the test gave up."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support.petstore_process import start_up

pytestmark = pytest.mark.integration

CHATTY_UP = [
    sys.executable,
    "-c",
    "print('Local cloud ready in 0.1 s', flush=True)\n"
    "for number in range(20_000):\n"
    "    print(f'Function | line {number} of what a busy local cloud logs')\n"
    "print('last line')\n",
]
"""Far more than a pipe holds (64 KiB) after its ready line, then it exits."""


@pytest.mark.timeout(60)
def test_what_up_prints_after_its_ready_line_is_read_so_it_never_blocks(tmp_path: Path) -> None:
    log = tmp_path / "up.log"
    running = start_up(CHATTY_UP, tmp_path, log=log)

    assert running.process.wait(timeout=30) == 0
    running.stop()
    assert log.read_text().endswith("last line\n")
    assert "Local cloud ready in 0.1 s" in running.output[-1]
