"""Hot reload: a saved source file refreshes the artifacts built from it, and the
functions using them start their next invocation on the new code, with no restart
and nothing lost in the emulator."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import watchfiles

from localcloud.lambda_.build.builder import LambdaBuilder
from localcloud.lambda_.build.sources import is_excluded
from localcloud.lambda_.logs import LogSink
from localcloud.model import FunctionSpec, TemplateError

# watchfiles yields once no change came for STEP_MS (an editor's save is a burst of
# events) and at the latest DEBOUNCE_MS after the first one.
STEP_MS = 30
DEBOUNCE_MS = 400
STOP_CHECK_MS = 200
LOG_NAME = "hot reload"
"""The log sink's name for the reloader's own lines."""


class HotReload:
    def __init__(
        self,
        builder: LambdaBuilder,
        functions: Callable[[], Mapping[str, FunctionSpec]],
        recycle: Callable[[Iterable[str]], None],
        log_sink: LogSink,
    ) -> None:
        self._builder = builder
        self._functions = functions
        self._recycle = recycle
        self._log_sink = log_sink
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        folders = sorted({spec.source for spec in self._builder.specs if spec.layout != "as_is"})
        if not folders:
            return
        watching = threading.Event()
        self._thread = threading.Thread(
            target=self._watch, args=(folders, watching), name="hot-reload", daemon=True
        )
        self._thread.start()
        watching.wait(STOP_CHECK_MS / 1000)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def apply(self, changed: Iterable[Path]) -> list[str]:
        """Refreshes what `changed` belongs to; the logical ids of the recycled functions."""
        paths = list(changed)
        try:
            rebuilt = self._builder.refresh(paths)
        except (OSError, TemplateError) as error:
            self._log_sink.platform(LOG_NAME, f"refresh failed: {error}")
            return []
        users = self._users_of(rebuilt)
        if not users:
            return []
        self._log_sink.platform(
            LOG_NAME, f"{_names(paths)} changed: new code for {len(users)} function(s)"
        )
        for problem in _syntax_errors(paths):
            for function in users:
                self._log_sink.platform(function.name, f"hot reload: {problem}")
        self._recycle(function.logical_id for function in users)
        return [function.logical_id for function in users]

    def _watch(self, folders: list[Path], watching: threading.Event) -> None:
        watching.set()
        for changes in watchfiles.watch(
            *folders,
            watch_filter=_is_watched,
            step=STEP_MS,
            debounce=DEBOUNCE_MS,
            rust_timeout=STOP_CHECK_MS,
            stop_event=self._stopping,
            raise_interrupt=False,
        ):
            self.apply(Path(path) for _, path in changes)

    def _users_of(self, rebuilt: list[str]) -> list[FunctionSpec]:
        """The functions whose artifact, or one of whose layers, was rebuilt."""
        rebuilt_folders = {self._builder.build_dir / logical_id for logical_id in rebuilt}
        return [
            spec
            for logical_id, spec in self._functions().items()
            if logical_id in rebuilt or rebuilt_folders & set(spec.layer_dirs)
        ]


def _is_watched(_: watchfiles.Change, path: str) -> bool:
    return not any(is_excluded(part) for part in Path(path).parts)


def _names(paths: list[Path]) -> str:
    shown = ", ".join(str(path) for path in paths[:3])
    return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def _syntax_errors(paths: list[Path]) -> list[str]:
    """The source file and line of a syntax error, said at save time: the worker's own
    report names the file's copy in the artifact."""
    problems = []
    for path in paths:
        if path.suffix != ".py" or not path.is_file():
            continue
        try:
            compile(path.read_bytes(), str(path), "exec")
        except SyntaxError as error:
            problems.append(f"{path}:{error.lineno}: SyntaxError: {error.msg}")
        except ValueError as error:
            problems.append(f"{path}: {error}")
    return problems
