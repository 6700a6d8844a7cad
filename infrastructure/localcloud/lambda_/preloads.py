"""Preloading shared by functions with the same runtime and layers: one process per
runtime and list of layers imports the heavy third-party packages those hold (botocore,
pydantic, Powertools: most of a function's init phase) once, and each such function's
snapshot is forked from it, then takes exactly its own environment, working directory and
`sys.path` and runs its own init phase (worker.py's `preload` mode). A layer's own
package (one no distribution in the layer claims) is preloaded module by module, only
where a module's import reads no environment variable that a function sets on its own
(its declared variables and those Lambda sets per function: a Powertools Logger made at
import reads the function's service name, and such a module is left to each function);
where those are not known, none beyond what the third-party imports read. A function's
own modules are never preloaded.

A function shares a preload only where it would have imported the same: the environment
variables the preloaded imports read have the same values in its environment, and its
artifact holds no module of the same name as one preloaded (its own would come first on
its path). Otherwise its snapshot starts on an interpreter of its own, as without."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import IO, Any

from localcloud.lambda_.build.runtime_sdk import LambdaRuntime
from localcloud.lambda_.execution_environment import INIT_TIMEOUT_S
from localcloud.lambda_.logs import LogSink
from localcloud.lambda_.snapshots import ForkServer, RestoredProcess, SnapshotFailedError
from localcloud.model import FunctionSpec

LOG_NAME = "preload"
PreloadKey = tuple[Path, Path, tuple[Path, ...]]
"""The runtime's interpreter and SDK folder, and the layers in order."""


def preload_key(spec: FunctionSpec, runtime: LambdaRuntime) -> PreloadKey:
    return layers_preload_key(runtime, tuple(spec.layer_dirs))


def layers_preload_key(runtime: LambdaRuntime, layer_dirs: tuple[Path, ...]) -> PreloadKey:
    """The key of the functions on `runtime` with these layers, before their specs exist."""
    return runtime.interpreter, runtime.sdk_dir, layer_dirs


def shares(
    reads: dict[str, str | None] | None,
    modules: list[str],
    environment: dict[str, str],
    task_root_entries: list[str],
) -> bool:
    """Whether a function with `environment` and an artifact holding `task_root_entries`
    imports what was preloaded, as preloaded."""
    if reads is None:
        return False
    if any(environment.get(name) != value for name, value in reads.items()):
        return False
    own_modules = {entry.partition(".")[0] for entry in task_root_entries}
    return not own_modules & set(modules)


class Preload(ForkServer):
    """One runtime's and list of layers' preload process (see the module's doc)."""

    FORKED = "forked"

    def __init__(
        self,
        key: PreloadKey,
        environment: dict[str, str],
        log_sink: LogSink,
        own_variables: frozenset[str] | None,
    ) -> None:
        """`own_variables`: the variables its functions set on their own, None if not known."""
        interpreter, sdk_dir, layer_dirs = key
        super().__init__(LOG_NAME, log_sink, "")
        self.key = key
        self._reads: dict[str, str | None] | None = None
        self._modules: list[str] = []
        self._files: dict[str, int] = {}
        layers = [str(layer) for layer in layer_dirs]
        own = None if own_variables is None else sorted(own_variables)
        arguments = [json.dumps(own), str(sdk_dir), *layers]
        self._start(str(interpreter), "preload", arguments, environment)

    def shares_with(self, environment: dict[str, str], task_root: Path) -> bool:
        """False too when the preload failed or is retired: the snapshot starts on its own."""
        if not self.agrees_with(environment):
            return False
        try:
            entries = os.listdir(task_root)
        except OSError:
            return False
        return shares(self._reads, self._modules, environment, entries)

    def agrees_with(self, environment: dict[str, str]) -> bool:
        """Whether what its imports read has the values `environment` gives: a preload
        started before its functions' environments were known (`Preloads.start`) serves
        them only then. Waits until it is ready."""
        try:
            self.wait_ready(INIT_TIMEOUT_S)
        except SnapshotFailedError:
            return False
        return self.usable and shares(self._reads, [], environment, [])

    def fork_snapshot(
        self,
        environment: dict[str, str],
        spec: FunctionSpec,
        runtime: LambdaRuntime,
        fds: list[int],
    ) -> RestoredProcess:
        """A snapshot process of `spec`, given its control socket and log pipe (`fds`)."""
        message = {
            "type": "snapshot",
            "environment": environment,
            "task_root": str(spec.code_dir),
            "layer_dirs": [str(layer) for layer in spec.layer_dirs],
            "runtime_dir": str(runtime.sdk_dir),
        }
        return self._fork(message, fds)

    @property
    def current(self) -> bool:
        """Alive, not retired, and its packages not installed again since it imported them
        (a layer rebuilt with new requirements); True while it is still starting."""
        if not self.usable:
            return False
        for path, modified in self._files.items():
            try:
                if os.stat(path).st_mtime_ns != modified:
                    return False
            except OSError:
                return False
        return True

    def _on_ready(self, message: dict[str, Any]) -> None:
        self._reads = message.get("reads")
        self._modules = list(message.get("modules") or [])
        self._files = dict(message.get("files") or {})

    def _forward_log(self, log: IO[bytes]) -> None:
        """Its own lines (a warning of a preloaded import) are the local cloud's, not a
        function's: printed, never shipped to a log group."""
        with log:
            for raw in log:
                self._log_sink.platform(self.name, raw.decode(errors="replace").rstrip("\r\n"))


class Preloads:
    """The preloads of an invoker's functions, one per runtime and list of layers, each
    started with the environment variables all its functions have in common, when the
    first of them takes a snapshot."""

    def __init__(self, log_sink: LogSink) -> None:
        self._log_sink = log_sink
        self._preloads: dict[PreloadKey, Preload] = {}
        self._lock = threading.Lock()
        self._closed = False

    def start(
        self, key: PreloadKey, environment: dict[str, str], own_variables: frozenset[str] | None
    ) -> None:
        """Starts the preload for `key` ahead of its functions (while the stack they belong
        to is provisioned), with `environment`, what each of them will have at least, and
        the names of the variables they set on their own (None if not known)."""
        with self._lock:
            if not self._closed and key not in self._preloads:
                self._preloads[key] = Preload(key, environment, self._log_sink, own_variables)

    def for_snapshot(self, key: PreloadKey, environments: list[dict[str, str]]) -> Preload | None:
        """The preload for `key`, started if need be with what `environments` (of every
        function of that key) have in common; None once closed."""
        common = common_environment(environments)
        with self._lock:
            if self._closed:
                return None
            preload = self._preloads.get(key)
            if preload is not None and not (preload.current and preload.agrees_with(common)):
                # Snapshots already forked from it are left alone; it ends after them.
                preload.retire()
                preload = None
            if preload is None:
                own = frozenset().union(*environments).difference(common)
                preload = Preload(key, common, self._log_sink, own)
                self._preloads[key] = preload
            return preload

    def close(self) -> None:
        with self._lock:
            self._closed = True
            preloads, self._preloads = list(self._preloads.values()), {}
        for preload in preloads:
            preload.retire()


def common_environment(environments: list[dict[str, str]]) -> dict[str, str]:
    """The variables every one of `environments` has, with the same value."""
    if not environments:
        return {}
    first, *others = environments
    return {
        name: value
        for name, value in first.items()
        if all(other.get(name) == value for other in others)
    }
