"""Lambda's invoke: one pool of worker processes per function, each worker an
execution environment of its own (environment variables, `sys.path`, module
cache), spawned on demand, kept warm, killed on timeout.

As with Lambda SnapStart, a function's init phase runs once, in its snapshot
(snapshots.py): every new worker of the function is forked from it, restored."""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import random
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol

from localcloud.lambda_.build.runtime_sdk import LambdaRuntime, default_runtimes_dir, lambda_runtime
from localcloud.lambda_.debugging import FunctionDebug
from localcloud.lambda_.execution_environment import (
    EXIT_WAIT_S,
    INIT_TIMEOUT_S,
    WORKER_SCRIPT,
    Failure,
    exit_status,
    function_environment,
    new_log_stream_name,
)
from localcloud.lambda_.logs import LogSink
from localcloud.lambda_.preloads import Preload, Preloads, preload_key
from localcloud.lambda_.snapshots import FunctionSnapshot, SnapshotFailedError, open_log_pipe
from localcloud.model import FunctionSpec, InvocationResult, TemplateError

PLATFORM_LINE = re.compile(r"^(START|END|REPORT) RequestId: [0-9a-f-]{36}(\s|$)")
"""The lines the worker writes around each invocation, as Lambda's platform does."""


class InvokerClosedError(RuntimeError):
    def __init__(self) -> None:
        super().__init__("The invoker is closed: no more invocations.")


TRACE_ROOT = re.compile(r"Root=(1-[0-9a-f]{8}-[0-9a-f]{24})")
_ids = random.Random()
"""Request and trace ids: unique, not secret. Python's generator (seeded from the OS)
makes one in a fraction of the time `uuid.uuid4()` and `os.urandom` take, on the path
from an event to its handler."""


def new_request_id() -> str:
    """A random (version 4) UUID, as Lambda's request ids are."""
    bits = _ids.getrandbits(128) & ~(0xF000 << 64 | 0xC000 << 48) | (0x4000 << 64 | 0x8000 << 48)
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def lambda_trace_id(trace_header: str | None) -> str:
    """The `_X_AMZN_TRACE_ID` of one invocation: the caller's trace root (a new one if
    it sent none), a segment id of its own as parent, not sampled (no X-Ray locally)."""
    match = TRACE_ROOT.search(trace_header) if trace_header else None
    root = match.group(1) if match else f"1-{int(time.time()):08x}-{_ids.getrandbits(96):024x}"
    return f"Root={root};Parent={_ids.getrandbits(64):016x};Sampled=0"


class _WorkerProcess(Protocol):
    """A started worker (a subprocess.Popen) or a restored one (snapshots.RestoredProcess)."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int | None: ...

    def kill(self) -> None: ...


class _Worker:
    """One worker process: a request pipe in, a response pipe out, and its
    stdout/stderr forwarded line by line to the log sink."""

    def __init__(
        self,
        spec: FunctionSpec,
        base_env: dict[str, str],
        log_sink: LogSink,
        runtime: LambdaRuntime,
        generation: int = 0,
        init_timeout_s: float | None = INIT_TIMEOUT_S,
        snapshot: FunctionSnapshot | None = None,
    ) -> None:
        """Forked from `snapshot` when given (restored), else started afresh (its own init)."""
        self.spec = spec
        self._init_timeout_s = init_timeout_s
        self.generation = generation
        """The pool's code generation when spawned: a hot reload retires older workers."""
        self.restored = snapshot is not None
        self._log_sink = log_sink
        self._responses: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._init_done = threading.Event()
        self._init_failure: Failure | None = None
        self._init_duration_ms: float | None = None
        self.log_stream_name = new_log_stream_name()
        request_read, self._request_fd = os.pipe()
        response_read, response_write = os.pipe()
        self._spawned_at = time.time()
        try:
            if snapshot is None:
                self.process, log = self._start(runtime, base_env, request_read, response_write)
            else:
                self.process, log = self._restore(snapshot, request_read, response_write)
        except BaseException:
            for fd in (request_read, self._request_fd, response_read, response_write):
                os.close(fd)
            raise
        os.close(request_read)
        os.close(response_write)
        self._requests: BinaryIO = open(self._request_fd, "wb")  # noqa: SIM115
        self._start_thread(lambda: self._forward_log(log), "log")
        self._start_thread(lambda: self._read_responses(response_read), "responses")

    def _start(
        self, runtime: LambdaRuntime, base_env: dict[str, str], request_fd: int, response_fd: int
    ) -> tuple[_WorkerProcess, IO[bytes]]:
        process = subprocess.Popen(
            [
                str(runtime.interpreter),
                "-I",
                "-S",
                "-u",
                str(WORKER_SCRIPT),
                str(request_fd),
                str(response_fd),
                str(runtime.sdk_dir),
                *(str(layer) for layer in self.spec.layer_dirs),
            ],
            pass_fds=(request_fd, response_fd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=function_environment(self.spec, base_env, self.log_stream_name, runtime),
            cwd=self.spec.code_dir,
            start_new_session=True,
        )
        assert process.stdout is not None
        return process, process.stdout

    def _restore(
        self, snapshot: FunctionSnapshot, request_fd: int, response_fd: int
    ) -> tuple[_WorkerProcess, IO[bytes]]:
        log, log_fd = open_log_pipe()
        try:
            process = snapshot.restore(request_fd, response_fd, log_fd, self.log_stream_name)
        except BaseException:
            log.close()
            raise
        finally:
            os.close(log_fd)
        return process, log

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def ready(self) -> bool:
        return self._init_done.is_set() and self._init_failure is None

    def wait_ready(self) -> Failure | None:
        """Blocks until the handler is imported; the failure if it could not be."""
        if not self._init_done.wait(self._init_timeout_s):
            self.kill()
            return Failure(
                "Sandbox.Timedout", f"Init timed out after {self._init_timeout_s:.2f} seconds"
            )
        return self._init_failure

    def take_start_duration(self) -> dict[str, float]:
        """The init phase's duration (ms), or a restored worker's restore duration, once:
        only the first invocation reports it, as the REPORT line's field of that name."""
        duration, self._init_duration_ms = self._init_duration_ms, None
        if duration is None:
            return {}
        return {"restore_duration_ms" if self.restored else "init_duration_ms": duration}

    def platform_line(self, line: str) -> None:
        self._log_sink.platform_report(self.spec.name, self.log_stream_name, line)

    def run(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any] | Failure:
        """Sends one request; the worker's response, or why there is none."""
        try:
            self._requests.write(json.dumps(request).encode() + b"\n")
            self._requests.flush()
        except (OSError, ValueError):
            return self._exit_failure()
        try:
            response = self._responses.get(timeout=timeout_s)
        except queue.Empty:
            self.kill()
            return Failure("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds")
        if response is None:
            return self._exit_failure()
        return response

    def kill(self) -> None:
        """Ends the worker and whatever it started, and releases its pipe."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.kill()
        self.process.wait()
        self._close_requests()

    def _exit_failure(self) -> Failure:
        try:
            code = self.process.wait(EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.returncode
        self._close_requests()
        return Failure("Runtime.ExitError", f"Runtime exited with error: {exit_status(code)}")

    def _close_requests(self) -> None:
        with contextlib.suppress(OSError):
            self._requests.close()

    def _start_thread(self, target: Any, role: str) -> None:
        name = f"worker-{self.spec.logical_id}-{self.process.pid}-{role}"
        threading.Thread(target=target, name=name, daemon=True).start()

    def _forward_log(self, log: IO[bytes]) -> None:
        with log:
            for raw in log:
                line = raw.decode(errors="replace").rstrip("\r\n")
                if PLATFORM_LINE.match(line):
                    self.platform_line(line)
                else:
                    self._log_sink.emit(self.spec.name, line, self.log_stream_name)

    def _read_responses(self, fd: int) -> None:
        with open(fd, "rb") as responses:
            for line in responses:
                try:
                    message = json.loads(line)
                except ValueError:
                    # Something other than the worker wrote to its response pipe:
                    # the conversation can no longer be trusted.
                    self.kill()
                    continue
                if self._init_done.is_set():
                    self._responses.put(message)
                else:
                    self._on_init(message)
        if not self._init_done.is_set():
            self._init_failure = Failure(
                "Runtime.ExitError",
                f"Runtime exited with error: {exit_status(self.process.wait())}",
            )
            self._init_done.set()
        self._responses.put(None)

    def _on_init(self, message: dict[str, Any]) -> None:
        if message.get("type") == "ready":
            elapsed_ms = (float(message["ready_at"]) - self._spawned_at) * 1000
            self._init_duration_ms = elapsed_ms
            how = " (restored from the snapshot)" if self.restored else ""
            self._log_sink.platform(self.spec.name, f"cold start: {elapsed_ms:.0f} ms{how}")
        else:
            self._init_failure = Failure(
                str(message.get("errorType")),
                str(message.get("errorMessage")),
                tuple(message.get("stackTrace") or ()),
            )
        self._init_done.set()


def _runtimes(specs: Iterable[FunctionSpec], runtimes_dir: Path) -> dict[str, LambdaRuntime]:
    runtimes: dict[str, LambdaRuntime] = {}
    for spec in specs:
        if spec.runtime not in runtimes:
            user = f"{spec.logical_id} (function {spec.name})"
            runtimes[spec.runtime] = lambda_runtime(spec.runtime, user, runtimes_dir)
    return runtimes


class _FunctionPool:
    """The execution environments of one function: idle ones are reused (most
    recent first), more are spawned up to the concurrency limit."""

    def __init__(
        self,
        spec: FunctionSpec,
        base_env: dict[str, str],
        log_sink: LogSink,
        max_workers: int,
        runtime: LambdaRuntime,
        init_timeout_s: float | None = INIT_TIMEOUT_S,
        *,
        snapshots: bool = True,
        preload: Callable[[], Preload | None] = lambda: None,
    ) -> None:
        """With `snapshots`, new workers are restored from the function's snapshot (forked
        from what `preload` gives, if anything); without, each runs the init phase itself."""
        self.spec = spec
        self.runtime = runtime
        self._preload = preload
        self._init_timeout_s = init_timeout_s
        self._snapshots = snapshots
        self._snapshot: FunctionSnapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._base_env = base_env
        self._log_sink = log_sink
        self._max_workers = max_workers
        self._runtime = runtime
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._reserved = 0
        self._generation = 0
        self._closed = False
        self._changed = threading.Condition()

    def invoke(self, event: dict[str, Any], trace_header: str | None = None) -> InvocationResult:
        request_id = new_request_id()
        try:
            worker, spawned = self._acquire()
        except SnapshotFailedError as error:
            result = self._failed(request_id, error.failure, 0.0, cold_start=True)
            self._log_sink.invocation(self.spec.name, result)
            return result
        try:
            result = self._run(
                worker,
                request_id,
                event,
                lambda_trace_id(trace_header),
                cold_start=spawned or not worker.ready,
            )
        finally:
            self._release(worker)
        self._log_sink.invocation(self.spec.name, result)
        return result

    def warm(self) -> None:
        with self._changed:
            current = [w for w in self._workers if w.generation == self._generation]
            if self._closed or current or self._reserved:
                return
            self._reserved += 1
        try:
            worker = self._spawn()
        except SnapshotFailedError:
            return
        self._release(worker)

    def take_snapshot(self) -> None:
        """Takes the function's snapshot ahead of traffic, unless it has one; a failure is
        left for the first invocation to report."""
        if not self._snapshots:
            return
        with self._changed:
            generation = self._generation
        with contextlib.suppress(SnapshotFailedError, InvokerClosedError):
            self._ready_snapshot(generation)

    def recycle(self) -> bool:
        """Retires every worker: idle ones now, busy ones when their invocation ends, so
        the next invocation imports the code afresh. Whether the function had any."""
        with self._changed:
            self._generation += 1
            had_workers = bool(self._workers)
            retired, self._idle = self._idle, []
            self._workers.difference_update(retired)
            self._changed.notify_all()
        for worker in retired:
            worker.kill()
        with self._snapshot_lock:
            snapshot, self._snapshot = self._snapshot, None
        if snapshot is not None:
            snapshot.retire()
        return had_workers

    def crash(self) -> int:
        """SIGKILLs every worker process of the function, as a crash would; how many."""
        with self._changed:
            pids = [worker.process.pid for worker in self._workers]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            workers = list(self._workers)
            self._idle.clear()
            self._changed.notify_all()
        for worker in workers:
            worker.kill()
        with self._snapshot_lock:
            snapshot, self._snapshot = self._snapshot, None
        if snapshot is not None:
            snapshot.close()

    def _run(
        self,
        worker: _Worker,
        request_id: str,
        event: dict[str, Any],
        trace_id: str,
        *,
        cold_start: bool,
    ) -> InvocationResult:
        failure = worker.wait_ready()
        if failure is not None:
            worker.kill()
            return self._failed(request_id, failure, 0.0, cold_start)
        deadline_ms = int((time.time() + self.spec.timeout_s) * 1000)
        request = {
            "request_id": request_id,
            "invoked_function_arn": self.spec.arn,
            "deadline_ms": deadline_ms,
            "event": event,
            "trace_id": trace_id,
            **worker.take_start_duration(),
        }
        started = time.perf_counter()
        response = worker.run(request, self.spec.timeout_s)
        duration_ms = (time.perf_counter() - started) * 1000
        if isinstance(response, Failure):
            self._log_sink.platform(self.spec.name, f"{request_id} {response.error_message}")
            self._end_unfinished(worker, request_id, duration_ms)
            return self._failed(request_id, response, duration_ms, cold_start)
        if response.get("ok"):
            return InvocationResult(
                ok=True,
                payload=response.get("payload"),
                duration_ms=duration_ms,
                cold_start=cold_start,
                request_id=request_id,
            )
        handler_error = Failure(
            str(response.get("errorType")),
            str(response.get("errorMessage")),
            tuple(response.get("stackTrace") or ()),
        )
        return self._failed(request_id, handler_error, duration_ms, cold_start)

    def _end_unfinished(self, worker: _Worker, request_id: str, duration_ms: float) -> None:
        """The END and REPORT lines of an invocation its worker did not live to finish
        (timed out or crashed), written for it as Lambda's platform does; the killed
        worker's peak memory is not known, so it is reported as 0."""
        worker.platform_line(f"END RequestId: {request_id}")
        worker.platform_line(
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {math.ceil(duration_ms)} ms\t"
            f"Memory Size: {self.spec.memory_mb} MB\tMax Memory Used: 0 MB"
        )

    @staticmethod
    def _failed(
        request_id: str, failure: Failure, duration_ms: float, cold_start: bool
    ) -> InvocationResult:
        return InvocationResult(
            ok=False,
            payload={
                "errorMessage": failure.error_message,
                "errorType": failure.error_type,
                "requestId": request_id,
                "stackTrace": list(failure.stack_trace),
            },
            error_type=failure.error_type,
            error_message=failure.error_message,
            duration_ms=duration_ms,
            cold_start=cold_start,
            request_id=request_id,
        )

    def _acquire(self) -> tuple[_Worker, bool]:
        """An idle worker, or a new one (True) if the function is below its limit."""
        with self._changed:
            while True:
                if self._closed:
                    raise InvokerClosedError()
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        return worker, False
                    self._workers.discard(worker)
                    worker.kill()
                if len(self._workers) + self._reserved < self._max_workers:
                    self._reserved += 1
                    break
                self._changed.wait()
        return self._spawn(), True

    def _spawn(self) -> _Worker:
        """Turns a reserved slot into a worker; the caller reserved it under the lock."""
        with self._changed:
            generation = self._generation
        try:
            worker = _Worker(
                self.spec,
                self._base_env,
                self._log_sink,
                self._runtime,
                generation,
                self._init_timeout_s,
                self._ready_snapshot(generation) if self._snapshots else None,
            )
        except BaseException:
            with self._changed:
                self._reserved -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._reserved -= 1
            self._workers.add(worker)
            closed = self._closed
        if closed:
            worker.kill()
            raise InvokerClosedError()
        return worker

    def _ready_snapshot(self, generation: int) -> FunctionSnapshot:
        """The snapshot of the function's current code, taken first if need be (its init
        phase). One that failed is dropped: the next invocation tries again, as Lambda
        starts a new environment after a failed init."""
        with self._snapshot_lock:
            if self._closed:
                raise InvokerClosedError()
            snapshot = self._snapshot
            if snapshot is None or not snapshot.usable or snapshot.generation != generation:
                if snapshot is not None:
                    snapshot.retire()
                snapshot = FunctionSnapshot(
                    self.spec,
                    self._base_env,
                    self._log_sink,
                    self._runtime,
                    generation,
                    self._preload(),
                )
                self._snapshot = snapshot
        try:
            snapshot.wait_ready(self._init_timeout_s)
        except SnapshotFailedError:
            with self._snapshot_lock:
                if self._snapshot is snapshot:
                    self._snapshot = None
            snapshot.close()
            raise
        return snapshot

    def _release(self, worker: _Worker) -> None:
        with self._changed:
            keep = worker.alive and not self._closed and worker.generation == self._generation
            if keep:
                self._idle.append(worker)
            else:
                self._workers.discard(worker)
            self._changed.notify()
        if not keep:
            worker.kill()


class Invoker:
    """Invokes the stack's functions by logical id; thread-safe."""

    def __init__(
        self,
        functions: dict[str, FunctionSpec],
        *,
        base_env: dict[str, str],
        log_sink: LogSink,
        max_concurrency_per_function: int = 8,
        runtimes_dir: Path | None = None,
        debug: FunctionDebug | None = None,
        preloads: bool | Preloads = True,
    ) -> None:
        """Each function runs on the interpreter its runtime names, with that runtime's
        SDK from `runtimes_dir` (installed there on first use): a TemplateError names
        the function whose runtime is not installed on this machine. The function
        `debug` names runs in one worker at a time, under debugpy, without time limits.
        With `preloads`, functions of one runtime and the same layers fork their snapshots
        from one process that imported those layers' packages once (preloads.py); given
        as the preloads themselves, some may be started already (and are closed with the
        invoker)."""
        runtimes = _runtimes(functions.values(), runtimes_dir or default_runtimes_dir())
        self._base_env = base_env
        if isinstance(preloads, Preloads):
            self._preloads: Preloads | None = preloads
        else:
            self._preloads = Preloads(log_sink) if preloads else None
        self._closing = threading.Event()
        self._pools = {
            logical_id: _FunctionPool(
                spec,
                base_env,
                log_sink,
                max_concurrency_per_function,
                runtimes[spec.runtime],
                preload=partial(self._preload_of, logical_id),
            )
            for logical_id, spec in functions.items()
        }
        if debug is not None:
            if debug.logical_id not in functions:
                names = ", ".join(sorted(functions))
                raise TemplateError(f"--debug {debug.logical_id}: no such function ({names})")
            spec = functions[debug.logical_id]
            self._pools[debug.logical_id] = _FunctionPool(
                debug.debugged(spec),
                base_env,
                log_sink,
                1,
                runtimes[spec.runtime],
                None,
                snapshots=False,
            )
        log_sink.register(spec.name for spec in functions.values())

    def invoke(
        self, logical_id: str, event: dict[str, Any], trace_header: str | None = None
    ) -> InvocationResult:
        """Runs the function's handler on `event`, as Lambda's synchronous Invoke
        does; `duration_ms` is the handler's run time, without a cold start's init.
        `trace_header` is the caller's X-Amzn-Trace-Id, whose root the invocation keeps."""
        return self._pool(logical_id).invoke(event, trace_header)

    def warm(self, logical_id: str) -> None:
        """Starts a worker ahead of traffic, unless the function has one; returns once it
        is started (restored from the function's snapshot, taken first if need be)."""
        self._pool(logical_id).warm()

    def take_snapshots(self, first: Iterable[str] = (), *, only: bool = False) -> None:
        """Takes every function's snapshot in the background, one at a time, as Lambda
        takes a published version's when it is deployed: the first invocation of each
        function then only restores a worker. The functions `first` names (logical ids)
        come first, in that order; `only`: no others. One at a time leaves a core to the
        traffic that comes meanwhile (a first order after `petstore up` measured 1.9 s to
        CONFIRMED beside 2.9 s with one snapshot per core); a function invoked before its
        turn takes its own at once. Returns at once."""
        named = [f for f in first if f in self._pools]
        order = dict.fromkeys(named if only else [*named, *self._pools])
        pools = [self._pools[logical_id] for logical_id in order]

        def take_in_turn() -> None:
            for pool in pools:
                if self._closing.is_set():
                    return
                pool.take_snapshot()

        threading.Thread(target=take_in_turn, name="snapshots", daemon=True).start()

    def recycle(self, logical_ids: Iterable[str]) -> None:
        """New code for these functions: their warm workers are retired, and those that
        had any get a fresh one ahead of traffic, which imports the new code."""
        for logical_id in logical_ids:
            pool = self._pool(logical_id)
            if pool.recycle():
                pool.warm()

    def reconfigure(self, functions: dict[str, FunctionSpec]) -> None:
        """The stack was provisioned again: a function whose configuration changed (its
        environment names a new user pool's id, say) has its workers retired, and the
        next invocation starts one with the new configuration."""
        for logical_id, spec in functions.items():
            pool = self._pools.get(logical_id)
            if pool is None or pool.spec.environment == spec.environment:
                continue
            pool.spec = replace(pool.spec, environment=spec.environment)
            pool.recycle()

    def close(self) -> None:
        """Stops every worker; invocations in flight end with Runtime.ExitError. Snapshots
        not yet taken are not taken."""
        self._closing.set()
        for pool in self._pools.values():
            pool.close()
        if self._preloads is not None:
            self._preloads.close()

    def crash_workers(self, logical_id: str) -> int:
        """A fault drill: SIGKILLs the function's worker processes, as a crash would; how
        many. An invocation in flight ends with Runtime.ExitError, the next one starts a
        fresh worker."""
        return self._pool(logical_id).crash()

    def _preload_of(self, logical_id: str) -> Preload | None:
        """The preload the function's next snapshot may be forked from, if any."""
        if self._preloads is None:
            return None
        key = preload_key(self._pools[logical_id].spec, self._pools[logical_id].runtime)
        environments = [
            function_environment(pool.spec, self._base_env, "", pool.runtime)
            for pool in self._pools.values()
            if preload_key(pool.spec, pool.runtime) == key
        ]
        return self._preloads.for_snapshot(key, environments)

    def _pool(self, logical_id: str) -> _FunctionPool:
        try:
            return self._pools[logical_id]
        except KeyError:
            raise KeyError(f"No function with logical id {logical_id!r} in the stack.") from None
