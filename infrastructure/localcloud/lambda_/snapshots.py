"""Lambda SnapStart, locally: a function's snapshot is a process that has run its init
phase once (worker.py in snapshot mode, with exactly the function's environment and
`sys.path`) and forks a restored worker for each new execution environment. A snapshot
belongs to one function and one code generation: nothing of a function's own is shared."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from typing import Any, BinaryIO

from localcloud.lambda_.build.runtime_sdk import LambdaRuntime
from localcloud.lambda_.execution_environment import (
    EXIT_WAIT_S,
    WORKER_SCRIPT,
    Failure,
    exit_status,
    function_environment,
    new_log_stream_name,
)
from localcloud.lambda_.logs import LogSink
from localcloud.model import FunctionSpec

CONTROL_MESSAGE_BYTES = 65536


class SnapshotFailedError(Exception):
    """The init phase or a before-snapshot hook failed: no worker can be restored."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.error_message)
        self.failure = failure


class RestoredProcess:
    """A restored worker's process, as the invoker sees a child: the snapshot forked it,
    reaps it and reports how it ended."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._ended = threading.Event()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(f"restored worker {self.pid}", timeout or 0.0)
        return self.returncode

    def kill(self) -> None:
        """The worker leads a session of its own: this ends whatever it started too."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)

    def ended(self, returncode: int) -> None:
        if self.returncode is None:
            self.returncode = returncode
        self._ended.set()


class FunctionSnapshot:
    """One function's snapshot process and the workers restored from it. Retired (by a
    hot reload), it restores no more and ends once its last worker has."""

    def __init__(
        self,
        spec: FunctionSpec,
        base_env: dict[str, str],
        log_sink: LogSink,
        runtime: LambdaRuntime,
        generation: int,
    ) -> None:
        self.spec = spec
        self.generation = generation
        self._log_sink = log_sink
        self._log_stream_name = new_log_stream_name()
        self._ready = threading.Event()
        self._failure: Failure | None = None
        self._restored: queue.Queue[RestoredProcess | None] = queue.Queue()
        self._processes: dict[int, RestoredProcess] = {}
        self._restore_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._retired = False
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._started_at = time.time()
        try:
            self.process = subprocess.Popen(
                [
                    str(runtime.interpreter),
                    "-I",
                    "-S",
                    "-u",
                    str(WORKER_SCRIPT),
                    "snapshot",
                    str(theirs.fileno()),
                    str(runtime.sdk_dir),
                    *(str(layer) for layer in spec.layer_dirs),
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=function_environment(spec, base_env, self._log_stream_name, runtime),
                cwd=spec.code_dir,
                start_new_session=True,
            )
        except BaseException:
            self._control.close()
            raise
        finally:
            theirs.close()
        self._start_thread(self._forward_log, "log")
        self._start_thread(self._read_control, "control")

    def wait_ready(self, timeout_s: float | None) -> None:
        """Blocks until the init phase and the before-snapshot hooks have run; raises
        SnapshotFailedError if they failed or took longer than `timeout_s`."""
        if not self._ready.wait(timeout_s):
            self.close()
            raise SnapshotFailedError(
                Failure("Sandbox.Timedout", f"Init timed out after {timeout_s or 0:.2f} seconds")
            )
        if self._failure is not None:
            raise SnapshotFailedError(self._failure)

    @property
    def usable(self) -> bool:
        return self.process.poll() is None and not self._retired

    def restore(
        self, request_fd: int, response_fd: int, log_fd: int, log_stream_name: str
    ) -> RestoredProcess:
        """Forks a worker that reads requests from `request_fd`, answers on `response_fd`
        and logs to `log_fd` under `log_stream_name`."""
        message = json.dumps({"type": "restore", "log_stream_name": log_stream_name})
        with self._restore_lock:
            try:
                socket.send_fds(
                    self._control, [message.encode()], [request_fd, response_fd, log_fd]
                )
            except OSError as error:
                raise SnapshotFailedError(self._ended_failure()) from error
            restored = self._restored.get()
        if restored is None:
            raise SnapshotFailedError(self._ended_failure())
        return restored

    def retire(self) -> None:
        with self._state_lock:
            self._retired = True
            idle = not any(p.returncode is None for p in self._processes.values())
        if idle:
            self.close()

    def close(self) -> None:
        """Ends the snapshot; the snapshot kills the workers restored from it as it ends."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.kill()
        self.process.wait()

    def _ended_failure(self) -> Failure:
        code = self.process.wait(EXIT_WAIT_S)
        return Failure("Runtime.ExitError", f"Runtime exited with error: {exit_status(code)}")

    def _read_control(self) -> None:
        while message := self._receive():
            kind = message.get("type")
            if kind == "restored":
                restored = RestoredProcess(int(message["pid"]))
                with self._state_lock:
                    self._processes[restored.pid] = restored
                self._restored.put(restored)
            elif kind == "exited":
                self._on_exit(int(message["pid"]), int(message["returncode"]))
            else:
                self._on_init(message)
        self._on_control_closed()

    def _receive(self) -> dict[str, Any] | None:
        try:
            data = self._control.recv(CONTROL_MESSAGE_BYTES)
        except OSError:
            return None
        return json.loads(data) if data else None

    def _on_init(self, message: dict[str, Any]) -> None:
        if message.get("type") == "ready":
            elapsed_ms = (float(message["ready_at"]) - self._started_at) * 1000
            self._log_sink.platform(self.spec.name, f"snapshot taken: init {elapsed_ms:.0f} ms")
        else:
            self._failure = Failure(
                str(message.get("errorType")),
                str(message.get("errorMessage")),
                tuple(message.get("stackTrace") or ()),
            )
        self._ready.set()

    def _on_exit(self, pid: int, returncode: int) -> None:
        with self._state_lock:
            process = self._processes.pop(pid, None)
            done = self._retired and not self._processes
        if process is not None:
            process.ended(returncode)
        if done:
            self.close()

    def _on_control_closed(self) -> None:
        """The snapshot ended: so did its workers (it kills them as it ends)."""
        code = self.process.wait()
        if not self._ready.is_set():
            self._failure = Failure(
                "Runtime.ExitError", f"Runtime exited with error: {exit_status(code)}"
            )
            self._ready.set()
        with self._state_lock:
            orphans, self._processes = list(self._processes.values()), {}
        for process in orphans:
            process.kill()
            process.ended(-signal.SIGKILL)
        self._restored.put(None)
        self._control.close()

    def _forward_log(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for raw in self.process.stdout:
                line = raw.decode(errors="replace").rstrip("\r\n")
                self._log_sink.emit(self.spec.name, line, self._log_stream_name)

    def _start_thread(self, target: Any, role: str) -> None:
        name = f"snapshot-{self.spec.logical_id}-{self.process.pid}-{role}"
        threading.Thread(target=target, name=name, daemon=True).start()


def open_log_pipe() -> tuple[BinaryIO, int]:
    """A restored worker's stdout and stderr: the invoker's end, and the worker's."""
    read_fd, write_fd = os.pipe()
    return open(read_fd, "rb"), write_fd
