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
from typing import IO, TYPE_CHECKING, Any, BinaryIO

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

if TYPE_CHECKING:
    from localcloud.lambda_.preloads import Preload

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
        """The worker leads a session of its own: this ends whatever it started too. Just
        forked, it may not lead one yet (its process group is then its parent's, which
        must live on): it is killed by its pid as well."""
        if self.returncode is None:
            for kill in (os.killpg, os.kill):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    kill(self.pid, signal.SIGKILL)

    def ended(self, returncode: int) -> None:
        if self.returncode is None:
            self.returncode = returncode
        self._ended.set()


class ForkServer:
    """A worker.py process that forks children on request over its control socket (a
    snapshot forks restored workers; a preload forks snapshots), reaps them and reports
    how they ended. Retired, it forks no more and ends once its last child has."""

    FORKED = ""
    """The control message's type that names a child just forked."""

    def __init__(self, name: str, log_sink: LogSink, log_stream_name: str) -> None:
        self.name = name
        self._log_sink = log_sink
        self._log_stream_name = log_stream_name
        self._ready = threading.Event()
        self._failure: Failure | None = None
        self._forked: queue.Queue[RestoredProcess | None] = queue.Queue()
        self._processes: dict[int, RestoredProcess] = {}
        self._fork_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._retired = False
        self._started_at = time.time()
        self._control, self._theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process: subprocess.Popen[bytes] | RestoredProcess

    def _start(
        self, interpreter: str, mode: str, arguments: list[str], environment: dict[str, str]
    ) -> None:
        """Starts worker.py in `mode` on `interpreter`, isolated, with `environment`."""
        try:
            self.process = subprocess.Popen(
                [interpreter, "-I", "-S", "-u", str(WORKER_SCRIPT), mode, *self._fd(), *arguments],
                pass_fds=(self._theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=environment.get("LAMBDA_TASK_ROOT"),
                start_new_session=True,
            )
        except BaseException:
            self._control.close()
            raise
        finally:
            self._theirs.close()
        assert self.process.stdout is not None
        self._serve(self.process.stdout)

    def _fd(self) -> list[str]:
        return [str(self._theirs.fileno())]

    def _serve(self, log: IO[bytes]) -> None:
        self._start_thread(lambda: self._forward_log(log), "log")
        self._start_thread(self._read_control, "control")

    def wait_ready(self, timeout_s: float | None) -> None:
        """Blocks until the process is ready to fork; raises SnapshotFailedError if it
        failed or took longer than `timeout_s`."""
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

    def retire(self) -> None:
        with self._state_lock:
            self._retired = True
            idle = not any(p.returncode is None for p in self._processes.values())
        if idle:
            self.close()

    def close(self) -> None:
        """Ends the process and its group (a started process leads a session of its own);
        it kills its children as it ends."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.kill()
        self.process.wait()

    def _fork(self, message: dict[str, Any], fds: list[int]) -> RestoredProcess:
        with self._fork_lock:
            try:
                socket.send_fds(self._control, [json.dumps(message).encode()], fds)
            except OSError as error:
                raise SnapshotFailedError(self._ended_failure()) from error
            forked = self._forked.get()
        if forked is None:
            raise SnapshotFailedError(self._ended_failure())
        return forked

    def _ended_failure(self) -> Failure:
        code = self.process.wait(EXIT_WAIT_S)
        return Failure("Runtime.ExitError", f"Runtime exited with error: {exit_status(code)}")

    def _read_control(self) -> None:
        while message := self._receive():
            kind = message.get("type")
            if kind == self.FORKED:
                forked = RestoredProcess(int(message["pid"]))
                with self._state_lock:
                    self._processes[forked.pid] = forked
                self._forked.put(forked)
            elif kind == "exited":
                self._on_exit(int(message["pid"]), int(message["returncode"]))
            elif kind == "ready":
                self._on_ready(message)
                self._ready.set()
            else:
                self._failure = Failure(
                    str(message.get("errorType")),
                    str(message.get("errorMessage")),
                    tuple(message.get("stackTrace") or ()),
                )
                self._ready.set()
        self._on_control_closed()

    def _on_ready(self, message: dict[str, Any]) -> None:
        """What the ready message says beyond being ready."""

    def _receive(self) -> dict[str, Any] | None:
        try:
            data = self._control.recv(CONTROL_MESSAGE_BYTES)
        except OSError:
            return None
        return json.loads(data) if data else None

    def _on_exit(self, pid: int, returncode: int) -> None:
        with self._state_lock:
            process = self._processes.pop(pid, None)
            done = self._retired and not self._processes
        if process is not None:
            process.ended(returncode)
        if done:
            self.close()

    def _on_control_closed(self) -> None:
        """The process ended: so did its children (it kills them as it ends)."""
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
        self._forked.put(None)
        self._control.close()

    def _forward_log(self, log: IO[bytes]) -> None:
        with log:
            for raw in log:
                line = raw.decode(errors="replace").rstrip("\r\n")
                self._log_sink.emit(self.name, line, self._log_stream_name)

    def _start_thread(self, target: Any, role: str) -> None:
        name = f"{type(self).__name__}-{self.name}-{role}"
        threading.Thread(target=target, name=name, daemon=True).start()


class FunctionSnapshot(ForkServer):
    """One function's snapshot process and the workers restored from it: forked from the
    preload of its runtime and layers when given one the function can share, else started
    on an interpreter of its own."""

    FORKED = "restored"

    def __init__(
        self,
        spec: FunctionSpec,
        base_env: dict[str, str],
        log_sink: LogSink,
        runtime: LambdaRuntime,
        generation: int,
        preload: Preload | None = None,
    ) -> None:
        super().__init__(spec.name, log_sink, new_log_stream_name())
        self.spec = spec
        self.generation = generation
        environment = function_environment(spec, base_env, self._log_stream_name, runtime)
        # Set before the fork: its ready message may arrive before the fork returns.
        self.preloaded = preload is not None and preload.shares_with(environment, spec.code_dir)
        if preload is not None and self.preloaded:
            try:
                self._fork_from(preload, environment, spec, runtime)
                return
            except SnapshotFailedError:
                # The preload ended meanwhile: this snapshot starts on its own.
                self.preloaded = False
                self._control, self._theirs = socket.socketpair(
                    socket.AF_UNIX, socket.SOCK_SEQPACKET
                )
        layers = [str(layer) for layer in spec.layer_dirs]
        self._start(
            str(runtime.interpreter), "snapshot", [str(runtime.sdk_dir), *layers], environment
        )

    def _fork_from(
        self,
        preload: Preload,
        environment: dict[str, str],
        spec: FunctionSpec,
        runtime: LambdaRuntime,
    ) -> None:
        log, log_fd = open_log_pipe()
        try:
            self.process = preload.fork_snapshot(
                environment, spec, runtime, [self._theirs.fileno(), log_fd]
            )
        except BaseException:
            log.close()
            self._control.close()
            raise
        finally:
            os.close(log_fd)
            self._theirs.close()
        self._serve(log)

    def restore(
        self, request_fd: int, response_fd: int, log_fd: int, log_stream_name: str
    ) -> RestoredProcess:
        """Forks a worker that reads requests from `request_fd`, answers on `response_fd`
        and logs to `log_fd` under `log_stream_name`."""
        message = {"type": "restore", "log_stream_name": log_stream_name}
        return self._fork(message, [request_fd, response_fd, log_fd])

    def _on_ready(self, message: dict[str, Any]) -> None:
        elapsed_ms = (float(message["ready_at"]) - self._started_at) * 1000
        how = ", preloaded" if self.preloaded else ""
        self._log_sink.platform(self.name, f"snapshot taken: init {elapsed_ms:.0f} ms{how}")


def open_log_pipe() -> tuple[BinaryIO, int]:
    """A restored worker's stdout and stderr: the invoker's end, and the worker's."""
    read_fd, write_fd = os.pipe()
    return open(read_fd, "rb"), write_fd
