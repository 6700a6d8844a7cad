"""The functions' log output: what each worker prints, shown in the terminal
under the function's name and kept in memory for tests."""

from __future__ import annotations

import json
import os
import sys
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from localcloud.model import InvocationResult

RESET = "\033[0m"
DIM = "\033[2m"
NAME_COLOURS = ("\033[36m", "\033[35m", "\033[34m", "\033[32m", "\033[33m", "\033[96m")
LEVEL_COLOURS = {"WARNING": "\033[33m", "WARN": "\033[33m", "ERROR": "\033[31m"}
LEVEL_COLOURS["CRITICAL"] = LEVEL_COLOURS["ERROR"]
MAX_PREFIX_WIDTH = 36
ACCESS_LOG_NAME = "API"
"""The name column of the API's access log lines."""
LineObserver = Callable[[str, str, str], None]
"""Told of each line: the function's name, the line, the log stream it belongs to."""


class LogSink:
    """Receives one line at a time from any worker thread.

    A Powertools Logger line (JSON with `level` and `message`) is shown as
    `LEVEL message [correlation_id=…]`; `lines()` keeps every line as printed by
    the function, so the JSON stays recoverable, and `raw_json=True` shows it
    unchanged in the terminal too."""

    def __init__(
        self,
        *,
        quiet: bool = False,
        debug: bool = False,
        raw_json: bool = False,
        stream: TextIO | None = None,
        max_lines_per_function: int = 2000,
        prefix_width: int = 24,
        colour: bool | None = None,
    ) -> None:
        self.quiet = quiet
        self.debug = debug
        self.raw_json = raw_json
        self._stream = stream if stream is not None else sys.stdout
        self._max_lines = max_lines_per_function
        self._prefix_width = prefix_width
        self._colour = _wants_colour(self._stream) if colour is None else colour
        self._lines: dict[str, deque[str]] = {}
        self._shown_names: dict[str, str] = {}
        self._observers: list[LineObserver] = []
        self._lock = threading.Lock()

    def register(self, function_names: Iterable[str]) -> None:
        """The functions that will log: the name column is sized to fit them,
        leaving out a stack prefix they all share (such as "petstore-")."""
        names = list(function_names)
        shared = _shared_stack_prefix(names)
        with self._lock:
            self._shown_names = {name: name[len(shared) :] for name in names}
            if names:
                widest = max(len(shown) for shown in self._shown_names.values())
                self._prefix_width = min(widest, MAX_PREFIX_WIDTH)

    def observe(self, observer: LineObserver) -> None:
        """Also hands every line a function writes, and the START, END and REPORT lines
        of its invocations, to `observer(function_name, line, log_stream)`, on the
        worker's log thread: it must return at once."""
        self._observers.append(observer)

    def emit(self, function_name: str, line: str, log_stream: str = "") -> None:
        """A line the function wrote to stdout or stderr, in the log stream of the
        execution environment that wrote it."""
        self._record(function_name, line)
        self._notify(function_name, line, log_stream)
        if not self.quiet:
            self._print(function_name, line if self.raw_json else readable(line, self._colour))

    def platform(self, function_name: str, message: str) -> None:
        """A line from the runtime about the function (cold start, timeout, crash)."""
        self._record(function_name, message)
        if not self.quiet:
            self._print(function_name, self._dim(message))

    def platform_report(self, function_name: str, log_stream: str, line: str) -> None:
        """Lambda's START, END or REPORT line of one invocation: observed (so it reaches
        CloudWatch Logs) but neither printed, as three lines per call would bury the
        function's own output (`invocation` prints a one-line summary at debug), nor
        kept in `lines()`, which holds what the function wrote."""
        self._notify(function_name, line, log_stream)

    def access(self, method: str, path: str, status: int, duration_ms: float) -> None:
        """One line per API request, as `sam local start-api` logs them."""
        if not self.quiet:
            line = f"{method} {path} {status} {duration_ms:.1f} ms"
            self._print(ACCESS_LOG_NAME, self._status_coloured(line, status))

    def invocation(self, function_name: str, result: InvocationResult) -> None:
        """One concise line per invocation, shown at debug level only."""
        if not self.debug or self.quiet:
            return
        outcome = "" if result.ok else f" {result.error_type}"
        cold = " (cold start)" if result.cold_start else ""
        message = f"END {result.request_id} {result.duration_ms:.1f} ms{cold}{outcome}"
        self._print(function_name, self._dim(message))

    def lines(self, function_name: str) -> list[str]:
        with self._lock:
            return list(self._lines.get(function_name, ()))

    def _notify(self, function_name: str, line: str, log_stream: str) -> None:
        for observer in self._observers:
            observer(function_name, line, log_stream)

    def _record(self, function_name: str, line: str) -> None:
        with self._lock:
            kept = self._lines.get(function_name)
            if kept is None:
                kept = self._lines[function_name] = deque(maxlen=self._max_lines)
            kept.append(line)

    def _print(self, function_name: str, text: str) -> None:
        prefix = self._prefix(function_name)
        output = "".join(f"{prefix} | {part}\n" for part in text.split("\n"))
        with self._lock:
            self._stream.write(output)
            self._stream.flush()

    def _prefix(self, function_name: str) -> str:
        width = self._prefix_width
        name = self._shown_names.get(function_name, function_name)
        # Stack-generated names share their start, so the end is what tells them apart.
        name = name if len(name) <= width else "…" + name[-width + 1 :]
        padded = name.ljust(width)
        if not self._colour:
            return padded
        colour = NAME_COLOURS[zlib.crc32(function_name.encode()) % len(NAME_COLOURS)]
        return f"{colour}{padded}{RESET}"

    def _status_coloured(self, text: str, status: int) -> str:
        if not self._colour or status < 400:
            return text
        colour = LEVEL_COLOURS["ERROR" if status >= 500 else "WARNING"]
        return f"{colour}{text}{RESET}"

    def _dim(self, text: str) -> str:
        return f"{DIM}{text}{RESET}" if self._colour else text


def readable(line: str, colour: bool = False) -> str:
    """A Powertools JSON log or EMF metrics line in a form a person reads at a
    glance; any other line unchanged."""
    document = _json_object(line)
    if document is None:
        return line
    if "_aws" in document:
        return _metrics_summary(document) or line
    if "level" not in document or "message" not in document:
        return line
    level = str(document["level"]).upper()
    message = document["message"]
    text = message if isinstance(message, str) else json.dumps(message)
    shown_level = f"{level:<7}"
    if colour and level in LEVEL_COLOURS:
        shown_level = f"{LEVEL_COLOURS[level]}{shown_level}{RESET}"
    correlation_id = document.get("correlation_id")
    suffix = f" [correlation_id={correlation_id}]" if correlation_id else ""
    exception = document.get("exception")
    trace = f"\n{exception}" if isinstance(exception, str) and exception else ""
    return f"{shown_level} {text}{suffix}{trace}"


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        document = json.loads(line)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _metrics_summary(document: dict[str, Any]) -> str:
    envelope = document["_aws"]
    directives = envelope.get("CloudWatchMetrics", []) if isinstance(envelope, dict) else []
    names = [
        metric["Name"]
        for directive in directives
        if isinstance(directive, dict)
        for metric in directive.get("Metrics", [])
        if isinstance(metric, dict) and "Name" in metric
    ]
    values = ", ".join(f"{name}={_metric_value(document.get(name))}" for name in names)
    return f"METRICS {values}" if values else ""


def _metric_value(value: object) -> str:
    if isinstance(value, list):
        return "+".join(str(item) for item in value)
    return str(value)


def _shared_stack_prefix(names: list[str]) -> str:
    if len(names) < 2:
        return ""
    # The prefix every name shares is the one the alphabetically first and last share.
    first, last = min(names), max(names)
    length = 0
    while length < len(first) and first[length] == last[length]:
        length += 1
    common = first[:length]
    return common[: max(common.rfind("-"), common.rfind("_")) + 1]


def _wants_colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ
