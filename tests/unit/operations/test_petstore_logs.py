"""`petstore logs`: the functions' lines from CloudWatch Logs, chosen by function, text
and time, oldest first, and followed as they arrive (as `sam logs --tail`)."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from petstore_cli.function_logs import (
    FunctionLogs,
    LogsError,
    chosen_groups,
    show,
    since,
    start_of,
)

GROUPS = {
    "ListPetsFunction": "/aws/lambda/petstore-ListPetsFunction",
    "PlaceOrderFunction": "/aws/lambda/petstore-PlaceOrderFunction",
}
FOLLOW_DEADLINE_S = 10.0


class LogGroups:
    def __init__(self, logs: Any) -> None:
        self.logs = logs
        for group in GROUPS.values():
            logs.create_log_group(logGroupName=group)
            logs.create_log_stream(logGroupName=group, logStreamName="s")

    def write(self, function: str, message: str, *, seconds_ago: float = 0) -> None:
        timestamp = int((time.time() - seconds_ago) * 1000)
        self.logs.put_log_events(
            logGroupName=GROUPS[function],
            logStreamName="s",
            logEvents=[{"timestamp": timestamp, "message": message}],
        )


def powertools(message: str, order: str) -> str:
    return json.dumps({"level": "INFO", "message": message, "correlation_id": order})


@pytest.fixture
def groups() -> Iterator[LogGroups]:
    with mock_aws():
        yield LogGroups(boto3.client("logs", region_name="us-east-1"))


def printed(groups: LogGroups, functions: list[str], text: str | None = None) -> list[str]:
    out = io.StringIO()
    reader = FunctionLogs(groups.logs, chosen_groups(GROUPS, functions), text)
    show(reader, start_of(timedelta(minutes=10)), out)
    return [line.partition(" ")[2] for line in out.getvalue().splitlines()]


def test_a_functions_lines_are_shown_oldest_first_with_the_correlation_id_labelled(
    groups: LogGroups,
) -> None:
    groups.write("PlaceOrderFunction", powertools("order placed", "o-2"), seconds_ago=1)
    groups.write("PlaceOrderFunction", powertools("order received", "o-1"), seconds_ago=2)
    groups.write("ListPetsFunction", "not this function's")

    assert printed(groups, ["PlaceOrderFunction"]) == [
        "PlaceOrderFunction | INFO    order received [correlation_id=o-1]",
        "PlaceOrderFunction | INFO    order placed [correlation_id=o-2]",
    ]


def test_without_functions_every_functions_lines_are_shown(groups: LogGroups) -> None:
    groups.write("PlaceOrderFunction", "placing", seconds_ago=1)
    groups.write("ListPetsFunction", "listing")

    assert [line.split(" | ")[1] for line in printed(groups, [])] == ["placing", "listing"]


def test_the_filter_keeps_only_lines_holding_its_text(groups: LogGroups) -> None:
    groups.write("PlaceOrderFunction", powertools("order placed", "2f0c-order"), seconds_ago=1)
    groups.write("PlaceOrderFunction", powertools("order placed", "other-order"))

    assert printed(groups, ["PlaceOrderFunction"], "2f0c") == [
        "PlaceOrderFunction | INFO    order placed [correlation_id=2f0c-order]"
    ]


def test_lines_older_than_since_are_left_out(groups: LogGroups) -> None:
    groups.write("ListPetsFunction", "an hour ago", seconds_ago=3600)
    groups.write("ListPetsFunction", "just now")
    out = io.StringIO()

    reader = FunctionLogs(groups.logs, chosen_groups(GROUPS, ["ListPetsFunction"]))
    show(reader, start_of(since("5m")), out)

    assert out.getvalue().endswith("ListPetsFunction | just now\n")
    assert "an hour ago" not in out.getvalue()


def test_following_prints_each_new_line_once_as_it_arrives(groups: LogGroups) -> None:
    groups.write("ListPetsFunction", "before")
    out = io.StringIO()
    stop = threading.Event()
    reader = FunctionLogs(groups.logs, chosen_groups(GROUPS, ["ListPetsFunction"]))
    follower = threading.Thread(
        target=show, args=(reader, start_of(since("1m")), out), kwargs={"follow": stop}
    )
    follower.start()
    try:
        groups.write("ListPetsFunction", "after")
        deadline = time.monotonic() + FOLLOW_DEADLINE_S
        while "after" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)  # another poll or so: nothing is printed twice
    finally:
        stop.set()
        follower.join(FOLLOW_DEADLINE_S)

    assert [line.split(" | ")[1] for line in out.getvalue().splitlines()] == ["before", "after"]


def test_an_unknown_function_is_refused_with_the_stacks_functions() -> None:
    with pytest.raises(LogsError, match=r"(?s)No function Nope.*ListPetsFunction"):
        chosen_groups(GROUPS, ["Nope"])


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400)]
)
def test_since_takes_a_duration(text: str, seconds: int) -> None:
    assert since(text).total_seconds() == seconds


def test_since_refuses_what_is_no_duration() -> None:
    with pytest.raises(LogsError, match="30s, 5m"):
        since("yesterday")
