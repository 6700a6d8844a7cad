"""`petstore logs`: the functions' lines from the emulated CloudWatch Logs, as `sam logs`
reads them from AWS (each function's log group, a time window, a text filter, --tail)."""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from localcloud.lambda_.logs import readable

DURATION = re.compile(r"^(\d+)\s*([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
FOLLOW_INTERVAL_S = 1.0


class LogsError(Exception):
    pass


@dataclass(frozen=True)
class LogLine:
    function: str
    timestamp_ms: int
    event_id: str
    message: str


def since(text: str) -> timedelta:
    """`30s`, `5m`, `2h` or `1d`, as `sam logs --start-time` takes a relative time."""
    match = DURATION.match(text.strip())
    if match is None:
        raise LogsError(f"--since {text!r}: write a duration such as 30s, 5m, 2h or 1d")
    amount, unit = match.groups()
    return timedelta(**{UNITS[unit]: int(amount)})


def chosen_groups(log_groups: dict[str, str], functions: list[str]) -> dict[str, str]:
    """The log group of each named function (its logical id), or of every function."""
    if not log_groups:
        raise LogsError("The running local cloud names no log groups: restart it (petstore up).")
    if not functions:
        return dict(log_groups)
    unknown = [name for name in functions if name not in log_groups]
    if unknown:
        names = "\n  ".join(sorted(log_groups))
        raise LogsError(f"No function {', '.join(unknown)}; the stack's functions are:\n  {names}")
    return {name: log_groups[name] for name in functions}


class FunctionLogs:
    """Reads the lines of some functions' log groups, oldest first."""

    def __init__(self, logs: Any, groups: dict[str, str], text: str | None = None) -> None:
        self._logs = logs
        self._groups = groups
        self._text = text

    def read(self, start_ms: int) -> list[LogLine]:
        """Every line from `start_ms` on that holds the filter's text."""
        lines = [
            line
            for name, group in self._groups.items()
            for line in self._read(name, group, start_ms)
        ]
        return sorted(lines, key=lambda line: (line.timestamp_ms, line.event_id))

    def _read(self, function: str, group: str, start_ms: int) -> Iterator[LogLine]:
        pages = self._logs.get_paginator("filter_log_events")
        try:
            for page in pages.paginate(logGroupName=group, startTime=start_ms):
                for event in page.get("events", []):
                    if self._text is None or self._text in event["message"]:
                        yield LogLine(
                            function, event["timestamp"], event["eventId"], event["message"]
                        )
        except self._logs.exceptions.ResourceNotFoundException:
            return  # the function has written nothing yet


def print_lines(lines: Iterable[LogLine], out: TextIO = sys.stdout, *, width: int = 0) -> None:
    for line in lines:
        when = datetime.fromtimestamp(line.timestamp_ms / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]
        shown = readable(line.message.rstrip("\n"))
        out.write(
            "".join(f"{when} {line.function:<{width}} | {part}\n" for part in shown.split("\n"))
        )
    out.flush()


def show(
    reader: FunctionLogs,
    start_ms: int,
    out: TextIO = sys.stdout,
    *,
    follow: threading.Event | None = None,
    width: int = 0,
) -> None:
    """Prints the lines from `start_ms` on; with `follow` (an event that stops it), then
    every new line as it arrives, as `sam logs --tail` does."""
    seen: set[str] = set()
    while True:
        lines = [line for line in reader.read(start_ms) if line.event_id not in seen]
        print_lines(lines, out, width=width)
        if lines:
            # A line may still arrive with the newest millisecond: read from it again,
            # leaving out the lines of it already shown.
            newest = lines[-1].timestamp_ms
            shown = {line.event_id for line in lines if line.timestamp_ms == newest}
            seen = shown | (seen if newest == start_ms else set())
            start_ms = newest
        if follow is None or follow.wait(FOLLOW_INTERVAL_S):
            return


def start_of(window: timedelta) -> int:
    return int((time.time() - window.total_seconds()) * 1000)
