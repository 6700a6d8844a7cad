"""The emulator's CloudWatch Logs over HTTP refuses what AWS refuses: an event older than
its group's RetentionInDays comes back as expired, one more than 14 days old as too old,
and only the rest are stored."""

from __future__ import annotations

import time
import uuid

import boto3
import pytest

from localcloud.emulator.process import Emulator

pytestmark = pytest.mark.integration

DAY_MS = 24 * 3600 * 1000


def test_events_older_than_the_groups_retention_are_refused_as_expired(emulator: Emulator) -> None:
    logs = boto3.client("logs", endpoint_url=emulator.endpoint_url, region_name="us-east-1")
    group = f"/aws/lambda/retention-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now_ms = int(time.time() * 1000)

    answer = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": now_ms - 15 * DAY_MS, "message": "a fortnight ago"},
            {"timestamp": now_ms - 2 * DAY_MS, "message": "the day before yesterday"},
            {"timestamp": now_ms, "message": "now"},
        ],
    )

    assert answer["rejectedLogEventsInfo"] == {
        "tooOldLogEventEndIndex": 1,
        "expiredLogEventEndIndex": 2,
    }
    events = logs.get_log_events(logGroupName=group, logStreamName="s")["events"]
    assert [event["message"] for event in events] == ["now"]
