"""`petstore up` as a developer runs it: a child process, ready once it prints its
ready line, stopped with Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from localcloud.emulator.process import free_port

PROJECT = Path(__file__).resolve().parents[2]
PETSTORE = [sys.executable, "-m", "petstore_cli.main"]
LOCALCLOUD = [sys.executable, "-m", "localcloud.console"]
READY_LINE = re.compile(r"\bready in \d")
"""The ready line ("Local cloud ready in 2.1 s"), not a refusal ("port is already in use")."""


class NotReadyError(Exception):
    pass


@dataclass
class RunningUp:
    process: subprocess.Popen[str]
    api_url: str
    env: dict[str, str]
    output: list[str]

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()


def start_petstore_up(state_dir: Path, *options: str) -> RunningUp:
    """Start `petstore up` on free ports, its state file in `state_dir`; returns once
    it printed its ready line (waiting is bounded by the test's timeout)."""
    return start_up(PETSTORE, state_dir, *options)


def start_up(command: list[str], state_dir: Path, *options: str) -> RunningUp:
    """`command up` (petstore's or localcloud's) on free ports, as `start_petstore_up`."""
    env = {**os.environ, "PETSTORE_STATE_FILE": str(state_dir / "cloud.json")}
    env.pop("AWS_ENDPOINT_URL", None)
    port = free_port()
    process = subprocess.Popen(
        [*command, "up", "--port", str(port), "--emulator-port", str(free_port()), *options],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # As a shell without job control starts a background command: SIGINT ignored.
        # Ctrl-C must stop it all the same.
        preexec_fn=_ignore_sigint,
    )
    assert process.stdout is not None
    output = []
    for line in process.stdout:  # ends when the process exits
        output.append(line)
        if READY_LINE.search(line):
            return RunningUp(process, f"http://127.0.0.1:{port}", env, output)
    raise NotReadyError(f"{command[-1]} up exited before its ready line:\n" + "".join(output))


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
