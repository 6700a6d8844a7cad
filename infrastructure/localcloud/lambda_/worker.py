"""One Lambda execution environment: imports one function's handler once and
runs it for each request the invoker sends.

Started on the runtime's interpreter as a script, `python3.X -I -S -u worker.py
REQUEST_FD RESPONSE_FD RUNTIME_DIR LAYER_DIR...`, with the function's environment
already set and its artifact as working directory: isolated and without `site`,
its path starts as the standard library alone, so it uses nothing else itself and
then gives the handler Lambda's path and nothing of the local cloud's.

Protocol, one JSON document per line on two dedicated pipes (stdout and stderr
are the function's log):
  worker -> invoker  {"type": "ready", "ready_at": <epoch s>}
                     | {"type": "init_error", "errorType", "errorMessage", "stackTrace"}
  invoker -> worker  {"request_id", "invoked_function_arn", "deadline_ms", "event",
                      "trace_id", "init_duration_ms" or, restored, "restore_duration_ms"
                      (on a cold start), "tenant_id"}
  worker -> invoker  {"ok": true, "payload": ...}
                     | {"ok": false, "errorType", "errorMessage", "stackTrace"}

Each invocation's output is framed by Lambda's START, END and REPORT lines, written
to stdout by the worker itself so that they keep their place among the handler's lines.

Started as `worker.py snapshot CONTROL_FD RUNTIME_DIR LAYER_DIR...` it is a snapshot, as
Lambda SnapStart takes one: it runs the init phase once, then the before-snapshot hooks
(`snapshot_restore_py`, last registered first), and then forks a restored worker for each
request on its control socket (a Unix SOCK_SEQPACKET socket), one JSON document per message:
  snapshot -> invoker  {"type": "ready", "ready_at"} | {"type": "init_error", ...} as above
  invoker -> snapshot  {"type": "restore"} with the worker's request, response and log
                       pipes attached (SCM_RIGHTS)
  snapshot -> invoker  {"type": "restored", "pid"} | {"type": "exited", "pid", "returncode"}
A restored worker leads a session of its own, runs the after-restore hooks (first registered
first), answers "ready" on its response pipe and then serves invocations as above. The snapshot
reaps its workers and reports how they ended; when its control socket closes it kills them.

Started as `worker.py preload CONTROL_FD OWN_VARIABLES RUNTIME_DIR LAYER_DIR...` it is the
preloading that functions with the same runtime and layers share: it imports PRELOADED_MODULES
(third-party packages of the layers and the runtime) and the layers' own modules whose import
reads none of OWN_VARIABLES (a JSON list of the variables a function sets on its own, or null
when they are not known: then none beyond what PRELOADED_MODULES read;
`modules_reading_nothing_new`), never a function's own, recording which environment variables
their imports read, and then forks a function's snapshot for each request on its control
socket:
  preload -> invoker  {"type": "ready", "reads": {name: value or null} or null when the
                      imports read the whole environment, "modules": [top-level names],
                      "files": {a preloaded package's file: its modification time, ns}}
  invoker -> preload  {"type": "snapshot", "environment", "task_root", "layer_dirs",
                      "runtime_dir"} with the snapshot's control socket and log pipe attached
  preload -> invoker  {"type": "forked", "pid"} | {"type": "exited", "pid", "returncode"}
The forked process sets exactly the function's environment, working directory and
`sys.path`, then is that function's snapshot as above.
"""

from __future__ import annotations

import contextlib
import decimal
import gc
import importlib
import importlib.util
import json
import math
import os
import resource
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, NoReturn

Handler = Callable[[Any, Any], Any]
AFTER_RESTORE_FAILED = (
    "The afterRestore() runtime hook encountered an error. "
    "For more information, check the Amazon CloudWatch logs."
)
IMPORTLIB_DIR = str(Path(importlib.__file__).parent)
REQUEST_DESCRIPTORS = {"restore": 3, "snapshot": 2}
"""What each request on a control socket carries: a restored worker's request, response
and log pipes; a preloaded snapshot's control socket and log pipe."""


class InitError(Exception):
    def __init__(self, error_type: str, message: str, stack_trace: list[str]) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.stack_trace = stack_trace


class CognitoIdentity:
    """`context.identity`: set only for calls from the AWS Mobile SDK, so both ids are None."""

    def __init__(self) -> None:
        self.cognito_identity_id: str | None = None
        self.cognito_identity_pool_id: str | None = None


class LambdaContext:
    """The `context` argument, with the fields and methods of Lambda's Python runtime."""

    def __init__(
        self,
        request_id: str,
        invoked_function_arn: str,
        deadline_ms: int,
        tenant_id: str | None = None,
    ) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.invoked_function_arn = invoked_function_arn
        self.aws_request_id = request_id
        self.identity = CognitoIdentity()
        self.client_context = None
        """Set only for calls from the AWS Mobile SDK."""
        self.tenant_id = tenant_id
        """The tenant of a function with tenant isolation; None otherwise."""
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, msg: object) -> None:
        """Writes to the function's log as-is, without a newline, as the runtime does."""
        sys.stdout.write(str(msg))


def function_sys_path(
    task_root: str, layer_dirs: list[str], runtime_dir: str, standard_library: list[str]
) -> list[str]:
    """Lambda's order: the function's artifact, then each layer's `python/lib/python3.X/
    site-packages` and `python/`, then the runtime's own packages, then the standard library."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    layer_entries = []
    for layer in layer_dirs:
        python_dir = Path(layer, "python")
        candidates = [python_dir / "lib" / version / "site-packages", python_dir]
        layer_entries += [str(path) for path in candidates if path.is_dir()]
    return [task_root, *layer_entries, runtime_dir, *standard_library]


def load_handler(handler: str) -> Handler:
    module_name, _, function_name = handler.rpartition(".")
    if not module_name:
        raise InitError("Runtime.MalformedHandlerName", f"Bad handler '{handler}'", [])
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise InitError(
            "Runtime.ImportModuleError",
            f"Unable to import module '{module_name}': {error}",
            stack_trace_of(error.__traceback__),
        ) from error
    except SyntaxError as error:
        raise InitError(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {error}",
            [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}'],
        ) from error
    found = getattr(module, function_name, None)
    if not callable(found):
        raise InitError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
            [],
        )
    return found


def stack_trace_of(tb: TracebackType | None) -> list[str]:
    """The traceback's frames from the function's own code, without the runtime's."""
    frames = [
        frame
        for frame in traceback.extract_tb(tb)
        if frame.filename != __file__
        and not frame.filename.startswith(("<frozen importlib", IMPORTLIB_DIR))
    ]
    return traceback.format_list(frames)


def error_response(error: BaseException) -> dict[str, Any]:
    return {
        "ok": False,
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": stack_trace_of(error.__traceback__),
    }


def log_error(response: dict[str, Any]) -> None:
    """Lambda writes a failed invocation's error to the function's log as well."""
    trace = "".join(response["stackTrace"])
    print(f"[ERROR] {response['errorType']}: {response['errorMessage']}", file=sys.stderr)
    if trace:
        print(f"Traceback (most recent call last):\n{trace}", end="", file=sys.stderr)


def encode_json_extra(value: object) -> object:
    """Lambda's runtime serialises Decimal (what boto3's resource API returns) as a number."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def invoke(handler: Handler, request: dict[str, Any]) -> str:
    """Runs one invocation between its START and END lines, with its trace id in the
    environment where the X-Ray SDK and Powertools look for it; returns the response line."""
    request_id = request["request_id"]
    set_trace_id(request.get("trace_id"))
    version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
    platform_lines(f"START RequestId: {request_id} Version: {version}")
    started = time.perf_counter()
    line = run_handler(handler, request)
    duration_ms = (time.perf_counter() - started) * 1000
    platform_lines(f"END RequestId: {request_id}", report_line(request_id, duration_ms, request))
    return line


def platform_lines(*lines: str) -> None:
    """Writes the platform's lines to the log in one write: `print` makes two (the text,
    then its newline), and each wakes the log's reader while the invocation waits."""
    sys.stdout.write("".join(f"{line}\n" for line in lines))


def set_trace_id(trace_id: str | None) -> None:
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)


def report_line(request_id: str, duration_ms: float, request: dict[str, Any]) -> str:
    """Lambda's REPORT line: tab-separated fields, billed in whole milliseconds; a cold
    start adds its init duration, or a restored environment its restore duration."""
    init_duration_ms = request.get("init_duration_ms")
    restore_duration_ms = request.get("restore_duration_ms")
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {math.ceil(duration_ms)} ms",
        f"Memory Size: {os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE')} MB",
        f"Max Memory Used: {max_memory_used_mb()} MB",
    ]
    if init_duration_ms is not None:
        fields.append(f"Init Duration: {init_duration_ms:.2f} ms")
    if restore_duration_ms is not None:
        fields.append(f"Restore Duration: {restore_duration_ms:.2f} ms")
        fields.append(f"Billed Restore Duration: {math.ceil(restore_duration_ms)} ms")
    return "\t".join(fields)


def max_memory_used_mb() -> int:
    """The worker's peak resident set (Linux reports it in KiB)."""
    return math.ceil(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_handler(handler: Handler, request: dict[str, Any]) -> str:
    """Runs the handler on one request; returns the response line."""
    context = LambdaContext(
        request["request_id"],
        request["invoked_function_arn"],
        request["deadline_ms"],
        request.get("tenant_id"),
    )
    try:
        result = handler(request["event"], context)
    except Exception as error:
        return failure_line(error_response(error))
    try:
        payload = json.dumps(result, default=encode_json_extra)
    except (TypeError, ValueError) as error:
        return failure_line(
            {
                "ok": False,
                "errorType": "Runtime.MarshalError",
                "errorMessage": f"Unable to marshal response: {error}",
                "stackTrace": [],
            }
        )
    return f'{{"ok": true, "payload": {payload}}}'


def failure_line(response: dict[str, Any]) -> str:
    log_error(response)
    return json.dumps(response)


def send(channel: BinaryIO, line: str) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    channel.write(line.encode() + b"\n")
    channel.flush()


def init_failure(error: Exception) -> dict[str, Any]:
    if isinstance(error, InitError):
        return {
            "errorType": error.error_type,
            "errorMessage": str(error),
            "stackTrace": error.stack_trace,
        }
    return error_response(error)


def serve(requests: BinaryIO, responses: BinaryIO) -> int:
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as error:
        # Lambda reports an init failure on the invocation that triggered it
        # and starts a new environment for the next one.
        send(responses, init_failure_line(error))
        return 1
    return serve_ready(handler, requests, responses)


def serve_ready(handler: Handler, requests: BinaryIO, responses: BinaryIO) -> int:
    send(responses, ready_line())
    for line in requests:
        send(responses, invoke(handler, json.loads(line)))
    return 0


def ready_line() -> str:
    return json.dumps({"type": "ready", "ready_at": time.time()})


def init_failure_line(error: Exception) -> str:
    return failure_line({**init_failure(error), "type": "init_error"})


def runtime_hooks(
    registry: str,
) -> list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]:
    """The hooks the function registered with `snapshot_restore_py` during its init phase;
    none if it never imported it."""
    hooks_module = sys.modules.get("snapshot_restore_py")
    getter = getattr(hooks_module, registry, None)
    return list(getter()) if callable(getter) else []


def run_hooks(registry: str, *, reverse: bool) -> None:
    hooks = runtime_hooks(registry)
    for hook, args, kwargs in reversed(hooks) if reverse else hooks:
        hook(*args, **kwargs)


class Snapshot:
    """The initialised process restored workers are forked from (see the module's doc)."""

    def __init__(self, control: socket.socket) -> None:
        self._workers = ChildProcesses(control)

    def take(self) -> int:
        """The init phase, then the before-snapshot hooks; 1 if either failed."""
        try:
            handler = load_handler(os.environ["_HANDLER"])
            run_hooks("get_before_snapshot", reverse=True)
        except Exception as error:
            self._workers.tell(init_failure_line(error))
            return 1
        self._warn_of_live_threads()
        self._workers.tell(ready_line())
        self._workers.serve(
            lambda: self._workers.fork_on_request(
                "restore",
                "restored",
                lambda request, fds: self._become_restored_worker(
                    handler, request["log_stream_name"], *fds
                ),
            )
        )
        return 0

    def _become_restored_worker(
        self, handler: Handler, log_stream_name: str, request_fd: int, response_fd: int, log_fd: int
    ) -> None:
        """In the forked child: never returns to the snapshot's loop. Its log stream is
        its own, as every execution environment's is."""
        os.environ["AWS_LAMBDA_LOG_STREAM_NAME"] = log_stream_name
        self._workers.run_in_child(log_fd, lambda: run_restored(handler, request_fd, response_fd))

    @staticmethod
    def _warn_of_live_threads() -> None:
        """Only the forking thread lives on in a restored worker: a thread started during
        init (a client's background I/O) must be stopped by a before-snapshot hook."""
        others = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
        if others:
            print(
                f"[WARNING] Threads alive at snapshot do not survive restore: {', '.join(others)}",
                file=sys.stderr,
            )


PRELOADED_MODULES = (
    "botocore.session",
    "botocore.client",
    "botocore.stub",
    "pydantic",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.idempotency",
)
"""What most of a Python function's init phase imports: a module missing from the
runtime and layers is left out."""


class ChildProcesses:
    """The forked children a process reports on its control socket, as they end."""

    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.pids: set[int] = set()
        self.exits = self.exit_signal = -1

    def fork_on_request(
        self, request: str, forked: str, become_child: Callable[[dict[str, Any], list[int]], None]
    ) -> bool:
        """Forks a child for one request on the control socket, which carries the
        descriptors REQUEST_DESCRIPTORS names; the child runs `become_child` (which never
        returns) and the control socket hears {"type": forked, "pid"}. False once the
        control socket closed."""
        expected = REQUEST_DESCRIPTORS[request]
        message, fds, _flags, _address = socket.recv_fds(self.control, 65536, expected)
        if not message:
            return False
        if len(fds) != expected:
            for fd in fds:
                os.close(fd)
            raise ValueError(f"a {request} request carries {expected} descriptors, not {len(fds)}")
        sys.stdout.flush()
        sys.stderr.flush()
        # Python's advice for fork without exec: what the parent holds is left out of the
        # child's collections, which would otherwise write to every object's header and
        # copy the pages the child shares with its parent (10-25 MB and 25-80 ms at a
        # worker's first full collection).
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            become_child(json.loads(message), fds)
        for fd in fds:
            os.close(fd)
        self.pids.add(pid)
        self.tell(json.dumps({"type": forked, "pid": pid}))
        return True

    def serve(self, on_request: Callable[[], bool]) -> None:
        """Calls `on_request` for each message on the control socket, until it returns
        False, reaping children meanwhile; then kills those left."""
        self.exits, self.exit_signal = os.pipe()
        os.set_blocking(self.exit_signal, False)
        signal.set_wakeup_fd(self.exit_signal)
        signal.signal(signal.SIGCHLD, lambda _signum, _frame: None)
        self.selector = selectors.DefaultSelector()
        with self.selector as selector:
            selector.register(self.control, selectors.EVENT_READ)
            selector.register(self.exits, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is not self.control:
                        os.read(self.exits, 512)
                        self.reap()
                    elif not on_request():
                        self.kill_all()
                        return

    def run_in_child(self, log_fd: int, run: Callable[[], int]) -> NoReturn:
        """In a forked child: leads a session of its own, keeps nothing of its parent's
        control, writes its output to `log_fd`, and exits with what `run` returns."""
        code = 1
        try:
            os.setsid()
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            self.control.close()
            os.close(self.exits)
            os.close(self.exit_signal)
            self.selector.close()
            os.dup2(log_fd, 1)
            os.dup2(log_fd, 2)
            os.close(log_fd)
            code = run()
        except SystemExit as exit_request:
            code = exit_code(exit_request)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def reap(self) -> None:
        """Only its own children: a process a function started is the function's."""
        for pid in list(self.pids):
            reaped, status = os.waitpid(pid, os.WNOHANG)
            if reaped:
                self.pids.discard(pid)
                returncode = os.waitstatus_to_exitcode(status)
                self.tell(json.dumps({"type": "exited", "pid": pid, "returncode": returncode}))

    def kill_all(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    def tell(self, line: str) -> None:
        with contextlib.suppress(OSError):
            self.control.send(line.encode())


class Preload:
    """The process functions' snapshots are forked from (see the module's doc)."""

    def __init__(
        self,
        control: socket.socket,
        standard_library: list[str],
        layer_dirs: list[str],
        own_variables: set[str] | None,
    ) -> None:
        self._children = ChildProcesses(control)
        self._standard_library = standard_library
        self._layer_dirs = layer_dirs
        self._own_variables = own_variables

    def run(self) -> int:
        before = set(sys.modules)
        reads = import_recording_environment_reads(PRELOADED_MODULES)
        layer_modules: list[str] = []
        if reads is not None:
            layer_modules = modules_reading_nothing_new(
                layer_packages(self._layer_dirs), set(reads), self._own_variables
            )
            more = import_recording_environment_reads(tuple(layer_modules))
            reads = None if more is None else {**reads, **more}
        modules = sorted({name.partition(".")[0] for name in set(sys.modules) - before})
        files = self._package_files([*modules, *layer_modules])
        ready = {"type": "ready", "reads": reads, "modules": modules, "files": files}
        self._children.tell(json.dumps(ready))
        self._children.serve(
            lambda: self._children.fork_on_request(
                "snapshot", "forked", lambda request, fds: self._become_snapshot(request, *fds)
            )
        )
        return 0

    def _package_files(self, modules: list[str]) -> dict[str, int]:
        """The preloaded packages' own files (not the standard library's) and their
        modification times: installed again, they are no longer what was preloaded."""
        files = {}
        for name in modules:
            path = getattr(sys.modules.get(name), "__file__", None)
            if path and not any(path.startswith(entry) for entry in self._standard_library):
                files[path] = os.stat(path).st_mtime_ns
        return files

    def _become_snapshot(self, request: dict[str, Any], control_fd: int, log_fd: int) -> None:
        """In the forked child: the function's own process from here on, as if started
        with its environment, in its artifact, on its path; never returns."""

        def take_snapshot() -> int:
            os.environ.clear()
            os.environ.update(request["environment"])
            os.chdir(request["task_root"])
            sys.path[:] = function_sys_path(
                request["task_root"],
                request["layer_dirs"],
                request["runtime_dir"],
                self._standard_library,
            )
            with socket.socket(fileno=control_fd) as control:
                return Snapshot(control).take()

        self._children.run_in_child(log_fd, take_snapshot)


def layer_packages(layer_dirs: list[str]) -> list[str]:
    """The layers' own packages: those in a layer's `python/` that no distribution installed
    there claims (the layer's code, as against the packages it depends on)."""
    packages = []
    for layer in layer_dirs:
        python_dir = Path(layer, "python")
        if not python_dir.is_dir():
            continue
        claimed: set[str] = set()
        for record in python_dir.glob("*.dist-info/RECORD"):
            with contextlib.suppress(OSError):
                claimed |= {line.partition("/")[0] for line in record.read_text().splitlines()}
        packages += sorted(
            entry.name
            for entry in python_dir.iterdir()
            if (entry / "__init__.py").is_file() and entry.name not in claimed
        )
    return packages


def package_modules(package_dir: Path) -> list[str]:
    """Every module of the package in `package_dir`, each package before its modules."""
    names = []
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        folders = [package_dir.parent.joinpath(*parts[:end]) for end in range(1, len(parts))]
        if all((folder / "__init__.py").is_file() for folder in folders):
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def modules_reading_nothing_new(
    packages: list[str], known: set[str], own_variables: set[str] | None
) -> list[str]:
    """The modules of the layers' own `packages` that a preload may import for every function:
    those whose import (with what it imports first) reads none of `own_variables`, the
    variables a function sets on its own, or where those are not known (None), none beyond
    `known`; tried in a forked child so that the others never run here. A module that reads
    one (a Powertools Logger made at import reads the function's service name) is left
    for each function to import itself, in its own environment."""
    candidates = []
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            candidates += package_modules(Path(spec.origin).parent)
    if not candidates:
        return []
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(readable)
        clean: list[str] = []
        try:
            clean = _imported_reading_nothing_new(candidates, known, own_variables)
        finally:
            with open(writable, "w") as answer:
                answer.write(json.dumps(clean))
            os._exit(0)
    os.close(writable)
    with open(readable) as answer:
        found = answer.read()
    os.waitpid(pid, 0)
    clean_modules: list[str] = json.loads(found or "[]")
    return clean_modules


def _imported_reading_nothing_new(
    candidates: list[str], known: set[str], own_variables: set[str] | None
) -> list[str]:
    """Each module that read more is forgotten before the next import, so that a module
    importing it imports it again, and reads what it reads, as the preload would. A module
    that starts a thread is left out too: a forked snapshot would not have it."""
    clean: list[str] = []
    unclean: set[str] = set()
    for name in candidates:
        _forget(unclean)
        before, threads = set(sys.modules), threading.active_count()
        try:
            reads = import_recording_environment_reads((name,))
        except Exception:
            reads = None
        imported = set(sys.modules) - before
        started_threads = threading.active_count() > threads
        shared = reads is not None and reads_what_all_share(reads, known, own_variables)
        if not shared or name not in sys.modules or started_threads:
            unclean |= imported | {name}
        elif name not in unclean:
            clean.append(name)
    return clean


def reads_what_all_share(
    reads: dict[str, str | None], known: set[str], own_variables: set[str] | None
) -> bool:
    """Whether an import that read `reads` reads the same in every function's environment:
    it reads none of the variables a function sets on its own (the rest are the runtime's,
    the same for all, or set for none), or, where those are not known, none beyond `known`."""
    if own_variables is None:
        return not set(reads) - known
    return not set(reads) & own_variables


def _forget(modules: set[str]) -> None:
    for name in modules:
        sys.modules.pop(name, None)
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:
            with contextlib.suppress(AttributeError):
                delattr(sys.modules[parent], child)


def import_recording_environment_reads(names: tuple[str, ...]) -> dict[str, str | None] | None:
    """Imports `names` (those that exist), recording each environment variable the imports
    read and the value they saw; None if they read the whole environment."""
    reads: dict[str, str | None] = {}
    read_everything = False
    environ_type = type(os.environ)
    get_item, iterate = environ_type.__getitem__, environ_type.__iter__

    def recording_get_item(environ: Any, key: Any) -> Any:
        try:
            value = get_item(environ, key)
        except KeyError:
            if environ is os.environ:
                reads[key] = None
            raise
        if environ is os.environ:
            reads[key] = value
        return value

    def recording_iterate(environ: Any) -> Any:
        nonlocal read_everything
        read_everything = read_everything or environ is os.environ
        return iterate(environ)

    environ_type.__getitem__ = recording_get_item  # type: ignore[method-assign]
    environ_type.__iter__ = recording_iterate  # type: ignore[method-assign]
    try:
        for name in names:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    finally:
        environ_type.__getitem__ = get_item  # type: ignore[method-assign]
        environ_type.__iter__ = iterate  # type: ignore[method-assign]
    return None if read_everything else reads


def run_restored(handler: Handler, request_fd: int, response_fd: int) -> int:
    """An after-restore hook that fails is logged with its traceback and fails the
    invocation with SnapStartException, as Lambda's Invoke answers."""
    with open(request_fd, "rb") as requests, open(response_fd, "wb") as responses:
        try:
            run_hooks("get_after_restore", reverse=False)
        except Exception as error:
            log_error(error_response(error))
            failure = {
                "type": "init_error",
                "errorType": "SnapStartException",
                "errorMessage": AFTER_RESTORE_FAILED,
                "stackTrace": [],
            }
            send(responses, json.dumps(failure))
            return 1
        return serve_ready(handler, requests, responses)


def exit_code(exit_request: SystemExit) -> int:
    """The status `sys.exit(code)` ends a process with."""
    if exit_request.code is None:
        return 0
    if isinstance(exit_request.code, int):
        return exit_request.code
    print(exit_request.code, file=sys.stderr)
    return 1


def wait_for_debugger() -> None:
    """Under `--debug` (debugging.py): listen for a debugger and wait until one attaches,
    before the handler is imported."""
    address = os.environ.pop("_LOCALCLOUD_DEBUG_ADDRESS", "")
    debugpy_dir = os.environ.pop("_LOCALCLOUD_DEBUGPY_DIR", "")
    if not address:
        return
    sys.path.append(debugpy_dir)
    import debugpy

    host, _, port = address.rpartition(":")
    debugpy.listen((host, int(port)))
    print(f"Waiting for a debugger to attach on {address} (debugpy)", flush=True)
    debugpy.wait_for_client()


def main(argv: list[str]) -> int:
    if argv[1] == "preload":
        control_fd = int(argv[2])
        os.set_inheritable(control_fd, False)
        standard_library = list(sys.path)
        own_variables = json.loads(argv[3])
        runtime_dir, layer_dirs = argv[4], argv[5:]
        sys.path[:] = function_sys_path("", layer_dirs, runtime_dir, standard_library)[1:]
        with socket.socket(fileno=control_fd) as control:
            own = None if own_variables is None else set(own_variables)
            return Preload(control, standard_library, layer_dirs, own).run()
    if argv[1] == "snapshot":
        control_fd = int(argv[2])
        os.set_inheritable(control_fd, False)
        sys.path[:] = function_sys_path(os.environ["LAMBDA_TASK_ROOT"], argv[4:], argv[3], sys.path)
        with socket.socket(fileno=control_fd) as control:
            return Snapshot(control).take()
    request_fd, response_fd = int(argv[1]), int(argv[2])
    # A process the handler forks must not hold the protocol pipes open.
    os.set_inheritable(request_fd, False)
    os.set_inheritable(response_fd, False)
    sys.path[:] = function_sys_path(os.environ["LAMBDA_TASK_ROOT"], argv[4:], argv[3], sys.path)
    wait_for_debugger()
    with open(request_fd, "rb") as requests, open(response_fd, "wb") as responses:
        return serve(requests, responses)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
