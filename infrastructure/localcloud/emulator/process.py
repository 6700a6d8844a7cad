"""The AWS emulator: moto's server in a child process, or any endpoint given
by `AWS_ENDPOINT_URL`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from localcloud.emulator.access import EmulatorAccess, this_run

DEFAULT_PORT = 4566
"""LocalStack's, which AWS tools' local setups expect."""
LOCAL_CREDENTIALS = this_run().environment()
"""The credentials the emulators this process starts accept (made for this run)."""
STOP_WAIT_S = 5.0
STOP_WAIT_SAVING_S = 60.0
"""How long a stopped emulator may take to write its state (`--state`) before it is killed."""


class EmulatorStartError(Exception):
    """The embedded emulator refused to start; the message is its own (e.g. a state file
    it cannot read)."""


class PortInUseError(Exception):
    def __init__(self, host: str, port: int, what: str) -> None:
        super().__init__(
            f"{what} cannot listen on {host}:{port}: the port is already in use. "
            f"Stop whatever holds it or choose another port."
        )


def ensure_port_free(host: str, port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortInUseError(host, port, what) from error


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class Emulator:
    endpoint_url: str
    process: subprocess.Popen[bytes] | None = None
    access: EmulatorAccess = field(default_factory=this_run, repr=False)
    state_dir: Path | None = None
    errors: IO[bytes] | None = field(default=None, repr=False)

    @property
    def is_embedded(self) -> bool:
        return self.process is not None

    def wait_ready(self, timeout_s: float = 15) -> None:
        try:
            _wait_ready(self.endpoint_url, timeout_s, self.process, self.access, self.errors)
        except BaseException:
            self.stop()
            raise

    def said(self, limit: int = 4000) -> str:
        """The end of what the embedded emulator wrote to its stderr (a request's
        traceback, a patch's complaint); read at an offset, so its writes go on after it."""
        return output_tail(self.errors, limit)

    def reset(self) -> None:
        """Forget every resource and item (moto only)."""
        if self.is_embedded:
            import requests  # only here and in _wait_ready: a launch imports nothing heavy

            requests.post(
                f"{self.endpoint_url}/moto-api/reset",
                headers=self.access.control_headers(),
                timeout=10,
            ).raise_for_status()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self._close_errors()
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_WAIT_S if self.state_dir is None else STOP_WAIT_SAVING_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._close_errors()

    def _close_errors(self) -> None:
        if self.errors is not None:
            self.errors.close()


def output_tail(output: IO[bytes] | None, limit: int) -> str:
    """The end of a file a child process writes to, read at an offset: the file's
    position is the one the child writes at."""
    if output is None or output.closed:
        return ""
    size = os.fstat(output.fileno()).st_size
    start = max(0, size - limit)
    return os.pread(output.fileno(), size - start, start).decode(errors="replace")


def start_emulator(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    timeout_s: float = 15,
    state_dir: Path | None = None,
) -> Emulator:
    """Use `AWS_ENDPOINT_URL` when set; otherwise start moto's server on host:port.
    Returns once the emulator answers."""
    emulator = launch_emulator(host, port, state_dir)
    emulator.wait_ready(timeout_s)
    return emulator


def launch_emulator(
    host: str = "127.0.0.1", port: int = DEFAULT_PORT, state_dir: Path | None = None
) -> Emulator:
    """Like `start_emulator`, but returns at once: the caller does other work while
    the emulator boots and calls `wait_ready()` before using it. With `state_dir` (a
    folder `saved_state.prepare_folder` made) the emulator keeps its data there."""
    external = os.environ.get("AWS_ENDPOINT_URL")
    if external and state_dir is not None:
        raise EmulatorStartError(
            f"--state keeps the local cloud's own emulator's data; AWS_ENDPOINT_URL names "
            f"another ({external}), which keeps its own: unset one of them."
        )
    if external:
        return Emulator(endpoint_url=external.rstrip("/"))
    ensure_port_free(host, port, "The AWS emulator")
    access = this_run()
    # What the emulator says if it refuses to start; kept (and closed) with the Emulator.
    errors = tempfile.TemporaryFile()  # noqa: SIM115
    state = [str(state_dir)] if state_dir is not None else []
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud.emulator.server", host, str(port), *state],
        env={**os.environ, **access.hand_down()},
        stdout=subprocess.DEVNULL,
        stderr=errors,
        # Its own session: Ctrl-C reaches the local cloud, which stops the pollers
        # before the emulator they talk to.
        start_new_session=True,
    )
    return Emulator(
        endpoint_url=f"http://{host}:{port}",
        process=process,
        access=access,
        state_dir=state_dir,
        errors=errors,
    )


def _wait_ready(
    endpoint: str,
    timeout_s: float,
    process: subprocess.Popen[bytes] | None,
    access: EmulatorAccess,
    errors: IO[bytes] | None,
) -> None:
    import requests

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            _raise_exit_at_start(process.returncode, errors)
        try:
            requests.get(f"{endpoint}/moto-api/", headers=access.control_headers(), timeout=2)
            return
        except requests.RequestException:  # not listening yet, or busy booting
            time.sleep(0.05)
    raise RuntimeError(f"The AWS emulator at {endpoint} did not answer within {timeout_s:.0f} s.")


def _raise_exit_at_start(code: int, errors: IO[bytes] | None) -> None:
    said = ""
    if errors is not None:
        errors.seek(0)
        said = errors.read().decode(errors="replace").strip()
    if said and code == 1 and "Traceback" not in said:
        raise EmulatorStartError(f"The AWS emulator did not start: {said.splitlines()[-1]}")
    raise RuntimeError(
        f"The AWS emulator exited at start (code {code}).{' ' + said if said else ''}"
    )
