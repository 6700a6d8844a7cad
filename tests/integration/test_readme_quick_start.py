"""The README's quick start works as written: every shell line of the blocks marked
`<!-- quick start -->` runs, in order and in one shell, against `petstore up` with its demo
data, and each one exits 0 (the README's ports are the test's free ones)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.petstore_process import PROJECT, RunningUp, start_petstore_up

pytestmark = pytest.mark.integration

MARKER = "<!-- quick start -->"
README_API = "http://127.0.0.1:3000"
README_EMULATOR = "http://127.0.0.1:4566"


def quick_start_lines(readme: str) -> list[str]:
    """The marked blocks' commands, each continued line joined to the one it continues."""
    blocks = re.findall(re.escape(MARKER) + r"\n```sh\n(.*?)```", readme, flags=re.DOTALL)
    joined = "\n".join(blocks).replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip()]


def checked_script(lines: list[str]) -> str:
    """Each line followed by a check of its exit status, which names the failing line."""
    script = []
    for number, line in enumerate(lines, start=1):
        failed = shlex.quote(f"README quick-start line {number} failed: {line}")
        script += [line, f"status=$?; [ $status -eq 0 ] || {{ echo {failed} >&2; exit 1; }}"]
    return "\n".join(script) + "\necho README-QUICK-START-DONE\n"


@pytest.fixture(scope="module")
def petstore_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUp]:
    running = start_petstore_up(tmp_path_factory.mktemp("state"))
    yield running
    running.stop()


def test_every_quick_start_line_runs_as_written(petstore_up: RunningUp) -> None:
    lines = quick_start_lines((PROJECT / "README.md").read_text())
    state = json.loads(Path(petstore_up.env["PETSTORE_STATE_FILE"]).read_text())
    script = (
        checked_script(lines)
        .replace(README_API, petstore_up.api_url)
        .replace(README_EMULATOR, state["endpoint_url"])
    )

    answer = subprocess.run(
        ["bash", "-c", script],
        cwd=PROJECT,
        env=petstore_up.env,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert len(lines) >= 15, lines
    assert answer.returncode == 0, answer.stderr[-3000:]
    assert answer.stdout.rstrip().endswith("README-QUICK-START-DONE")
    assert '"status": "CANCELLED"' in answer.stdout
    assert "Payment declined" in answer.stdout
