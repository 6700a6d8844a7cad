"""`petstore up` as a developer runs it: a child process, ready once it prints its
ready line, stopped with Ctrl-C. Its output is read for as long as it runs, as a terminal
would: the local cloud echoes every function's log lines, and a pipe left full blocks the
threads writing to it (a poller among them, its batch held unacknowledged)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from localcloud.emulator.process import free_port

PROJECT = Path(__file__).resolve().parents[2]
PETSTORE = [sys.executable, "-m", "petstore_cli"]
LOCALCLOUD = [sys.executable, "-m", "localcloud.console"]
READY_LINE = re.compile(r"\bready in \d")
"""The ready line ("Local cloud ready in 2.1 s"), not a refusal ("port is already in use")."""


STOP_READING_TIMEOUT_S = 5.0


class NotReadyError(Exception):
    pass


@dataclass
class RunningUp:
    process: subprocess.Popen[str]
    api_url: str
    env: dict[str, str]
    output: list[str]
    """What it printed up to its ready line."""
    reader: threading.Thread

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # A server it started and left running would keep the pipe open: not waited for.
        self.reader.join(timeout=STOP_READING_TIMEOUT_S)


def start_petstore_up(state_dir: Path, *options: str, log: Path | None = None) -> RunningUp:
    """Start `petstore up` on free ports, its state file in `state_dir`; returns once
    it printed its ready line (waiting is bounded by the test's timeout). What it prints
    after that goes to `log`, else nowhere."""
    return start_up(PETSTORE, state_dir, *options, log=log)


def start_up(
    command: list[str], state_dir: Path, *options: str, log: Path | None = None
) -> RunningUp:
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
            reader = threading.Thread(
                target=_write_lines, args=(process.stdout, log or Path(os.devnull)), daemon=True
            )
            reader.start()
            return RunningUp(process, f"http://127.0.0.1:{port}", env, output, reader)
    raise NotReadyError(f"{command[-1]} up exited before its ready line:\n" + "".join(output))


def _write_lines(lines: Iterable[str], log: Path) -> None:
    with log.open("w", buffering=1) as out:  # a line at a time: readable while it runs
        out.writelines(lines)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
