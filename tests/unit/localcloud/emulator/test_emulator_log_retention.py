"""CloudWatch Logs retention in the emulator: a group's events older than its
RetentionInDays are dropped, a group without one keeps them, and PutLogEvents refuses
too old, expired and too new events as AWS documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.emulator.patches import log_retention

NOW_S = 1_800_000_000.0
DAY_MS = 24 * 3600 * 1000
MINUTE_MS = 60 * 1000


class Clock:
    def __init__(self) -> None:
        self.now_s = NOW_S

    def __call__(self) -> float:
        return self.now_s

    def advance(self, milliseconds: int) -> None:
        self.now_s += milliseconds / 1000


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(log_retention, "clock", clock)
    return clock


@pytest.fixture
def logs(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for owner, name, replacement in log_retention.PATCHES:
        monkeypatch.setattr(owner, name, replacement)
    with mock_aws():
        yield boto3.client("logs", region_name="us-east-1")


def make_group(
    logs: Any, name: str, retention_days: int | None, streams: tuple[str, ...] = ("s",)
) -> None:
    logs.create_log_group(logGroupName=name)
    if retention_days is not None:
        logs.put_retention_policy(logGroupName=name, retentionInDays=retention_days)
    for stream in streams:
        logs.create_log_stream(logGroupName=name, logStreamName=stream)


def put(logs: Any, group: str, *ages_ms: int, stream: str = "s") -> dict[str, Any]:
    """Events logged `ages_ms` before the clock's now (negative: ahead of it), in order."""
    now_ms = int(log_retention.clock() * 1000)
    events = [{"timestamp": now_ms - age, "message": f"line {age}"} for age in ages_ms]
    return logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def messages(logs: Any, group: str, stream: str = "s") -> list[str]:
    answer = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    return [event["message"] for event in answer["events"]]


def stored_bytes(logs: Any, group: str, stream: str = "s") -> int:
    streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)
    return streams["logStreams"][0]["storedBytes"]


def test_events_older_than_the_retention_are_dropped_and_the_rest_stay(
    logs: Any, clock: Clock
) -> None:
    make_group(logs, "/aws/lambda/orders", 1, streams=("a", "b"))
    make_group(logs, "/aws/lambda/forever", None)
    put(logs, "/aws/lambda/orders", 2 * MINUTE_MS, stream="a")
    put(logs, "/aws/lambda/orders", MINUTE_MS, stream="b")
    put(logs, "/aws/lambda/forever", 2 * MINUTE_MS)

    clock.advance(DAY_MS - MINUTE_MS - 1000)  # the first event is now a day and a second old
    put(logs, "/aws/lambda/orders", 0, stream="b")
    put(logs, "/aws/lambda/forever", 0)

    assert messages(logs, "/aws/lambda/orders", "a") == []
    assert stored_bytes(logs, "/aws/lambda/orders", "a") == 0
    assert messages(logs, "/aws/lambda/orders", "b") == [f"line {MINUTE_MS}", "line 0"]
    assert messages(logs, "/aws/lambda/forever") == [f"line {2 * MINUTE_MS}", "line 0"]


def test_a_shorter_retention_set_later_drops_what_it_no_longer_keeps(
    logs: Any, clock: Clock
) -> None:
    make_group(logs, "/aws/lambda/pets", None)
    put(logs, "/aws/lambda/pets", 5 * DAY_MS, 2 * DAY_MS, 0)

    logs.put_retention_policy(logGroupName="/aws/lambda/pets", retentionInDays=3)
    clock.advance(MINUTE_MS)
    put(logs, "/aws/lambda/pets", 0)

    assert messages(logs, "/aws/lambda/pets") == [f"line {2 * DAY_MS}", "line 0", "line 0"]
    assert stored_bytes(logs, "/aws/lambda/pets") == sum(
        len(message) for message in messages(logs, "/aws/lambda/pets")
    )


def test_expired_events_are_looked_for_at_most_once_a_minute(logs: Any, clock: Clock) -> None:
    make_group(logs, "/aws/lambda/payments", 1)
    put(logs, "/aws/lambda/payments", DAY_MS - 1000)

    clock.advance(2000)  # the event has now expired, 1 s after the group was last swept
    put(logs, "/aws/lambda/payments", 0)
    assert len(messages(logs, "/aws/lambda/payments")) == 2

    clock.advance(MINUTE_MS)
    put(logs, "/aws/lambda/payments", 0)
    assert messages(logs, "/aws/lambda/payments") == ["line 0", "line 0"]


def test_put_log_events_refuses_too_old_expired_and_too_new_events_as_aws_documents(
    logs: Any,
) -> None:
    make_group(logs, "/aws/lambda/notify", 7)
    answer = put(
        logs,
        "/aws/lambda/notify",
        20 * DAY_MS,  # more than 14 days old
        15 * DAY_MS,
        10 * DAY_MS,  # older than the group's 7 days
        8 * DAY_MS,
        DAY_MS,
        0,
        -3 * 3600 * 1000,  # more than 2 hours ahead
        -4 * 3600 * 1000,
    )

    assert answer["rejectedLogEventsInfo"] == {
        "tooOldLogEventEndIndex": 2,
        "expiredLogEventEndIndex": 4,
        "tooNewLogEventStartIndex": 6,
    }
    assert messages(logs, "/aws/lambda/notify") == [f"line {DAY_MS}", "line 0"]


def test_a_group_without_retention_takes_events_up_to_14_days_old(logs: Any) -> None:
    make_group(logs, "/aws/lambda/forever", None)

    answer = put(logs, "/aws/lambda/forever", 15 * DAY_MS, 13 * DAY_MS, 0)

    assert answer["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    assert messages(logs, "/aws/lambda/forever") == [f"line {13 * DAY_MS}", "line 0"]


def test_events_out_of_order_and_an_unknown_group_are_refused(logs: Any) -> None:
    make_group(logs, "/aws/lambda/orders", 1)

    with pytest.raises(logs.exceptions.InvalidParameterException, match="chronological"):
        put(logs, "/aws/lambda/orders", 0, MINUTE_MS)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        put(logs, "/aws/lambda/nobody", 0)
    assert messages(logs, "/aws/lambda/orders") == []
