"""The platform's lines of an invocation as the worker writes them to the function's log."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from localcloud.lambda_ import worker


class Writes(io.StringIO):
    """A log that keeps each write apart: each is a syscall on the worker's log pipe."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def write(self, text: str) -> int:
        self.calls.append(text)
        return super().write(text)


def test_start_end_and_report_lines_reach_the_log_in_one_write_each_around_the_handlers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = Writes()
    monkeypatch.setattr(sys, "stdout", log)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")

    def handler(event: dict[str, Any], context: Any) -> str:
        sys.stdout.write("handler line\n")
        return "done"

    request = {
        "request_id": "r-1",
        "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "deadline_ms": 10**13,
        "event": {},
    }
    response = worker.invoke(handler, request)

    assert response == '{"ok": true, "payload": "done"}'
    start, handler_line, end_and_report = log.calls
    assert start == "START RequestId: r-1 Version: $LATEST\n"
    assert handler_line == "handler line\n"
    end, report, after = end_and_report.split("\n")
    assert end == "END RequestId: r-1"
    assert report.startswith("REPORT RequestId: r-1\tDuration: ")
    assert after == ""
