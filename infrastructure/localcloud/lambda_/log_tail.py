"""The log of each recent invocation, from its START line to its REPORT line: what
Lambda's Invoke returns base64-encoded in `X-Amz-Log-Result` when asked for `Tail`."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict

TAIL_BYTES = 4096
"""Invoke returns the last 4 KB of the invocation's log."""
KEPT_INVOCATIONS = 256
_START = re.compile(r"START RequestId: (\S+)")
_REPORT = re.compile(r"REPORT RequestId: (\S+)")


class InvocationLogs:
    """A log sink observer (`LogSink.observe`): a worker runs one invocation at a time,
    so the lines of a log stream between START and REPORT belong to that invocation."""

    def __init__(self) -> None:
        self._running: dict[str, str] = {}
        """Log stream -> the request id of the invocation it is writing."""
        self._lines: OrderedDict[str, list[str]] = OrderedDict()
        self._finished: set[str] = set()
        self._changed = threading.Condition()

    def __call__(self, function_name: str, line: str, log_stream: str) -> None:
        with self._changed:
            started = _START.match(line)
            if started:
                self._running[log_stream] = started.group(1)
                self._lines[started.group(1)] = []
                while len(self._lines) > KEPT_INVOCATIONS:
                    oldest, _ = self._lines.popitem(last=False)
                    self._finished.discard(oldest)
            request_id = self._running.get(log_stream)
            if request_id is None or request_id not in self._lines:
                return
            self._lines[request_id].append(line)
            if _REPORT.match(line):
                del self._running[log_stream]
                self._finished.add(request_id)
                self._changed.notify_all()

    def tail(self, request_id: str, timeout_s: float = 2.0) -> str:
        """The last 4 KB of one invocation's log, once its REPORT line arrived (its lines
        come on their own pipe, and may trail the invocation's result a little)."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while request_id not in self._finished:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            text = "".join(f"{line}\n" for line in self._lines.get(request_id, []))
        return text.encode()[-TAIL_BYTES:].decode(errors="ignore")
