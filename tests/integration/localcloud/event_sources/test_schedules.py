"""Schedules on a local cloud of their own (sample_apps/schedules.yaml), on the schedule
clock moved ahead by the test instead of waited out: a rate(1 minute) rule fires its
function with EventBridge's scheduled event once a minute has passed, a rule with a
constant Input invokes with that input at its rate, an EventBridge Scheduler cron schedule
fires at its time in its time zone, and a disabled schedule never fires. A cron expression
EventBridge would refuse stops the start, naming it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest

from localcloud.cloud import LocalCloud
from localcloud.cloudformation.provision import provision
from localcloud.emulator.process import Emulator
from localcloud.event_sources.eventbridge import EventBridgeRuntime
from localcloud.event_sources.eventbridge.clock import ScheduleClock
from localcloud.model import TemplateError
from support.sample_cloud import sample_cloud
from support.waiting import wait_until

pytestmark = pytest.mark.integration

APPS = Path(__file__).with_name("sample_apps")
STACK = "jobs"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with sample_cloud(APPS / "schedules.yaml", STACK) as started:
        yield started


def clock(cloud: LocalCloud) -> ScheduleClock:
    runtime = cloud.runtime_of(EventBridgeRuntime)
    assert runtime is not None
    return runtime.clock


def events_of(cloud: LocalCloud, function: str) -> list[Any]:
    assert cloud.stack is not None
    table = cloud.stack.physical_ids["SeenTable"]
    items = boto3.client("dynamodb", endpoint_url=cloud.endpoint_url).scan(TableName=table)
    return [
        json.loads(item["event"]["S"])
        for item in items["Items"]
        if item["function"]["S"] == f"{STACK}-{function}"
    ]


def test_a_rate_of_one_minute_fires_the_scheduled_event_once_the_minute_has_passed(
    cloud: LocalCloud,
) -> None:
    assert events_of(cloud, "HeartbeatFunction") == []

    clock(cloud).advance(60)

    [event] = wait_until(lambda: events_of(cloud, "HeartbeatFunction"), what="the heartbeat")
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["version"] == "0"
    assert cloud.stack is not None
    assert event["account"] == cloud.stack.account_id
    assert event["region"] == "us-east-1"
    assert event["resources"] == [f"arn:aws:events:us-east-1:{event['account']}:rule/heartbeat"]
    assert event["detail"] == {}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])


def test_a_rule_with_a_constant_input_invokes_with_it_at_its_rate(cloud: LocalCloud) -> None:
    clock(cloud).advance(5 * 60)

    [event] = wait_until(lambda: events_of(cloud, "CleanupFunction"), what="the cleanup")
    assert event == {"olderThanDays": 30}
    # Four minutes passed at once: the heartbeat fires once for them, not once for each.
    heartbeats = wait_until(
        lambda: (found := events_of(cloud, "HeartbeatFunction"))[1:] and found,
        what="the second heartbeat",
    )
    # The disabled rule on the same function never fired, though its minutes passed too.
    assert [event["resources"][0].rsplit("/", 1)[1] for event in heartbeats] == [
        "heartbeat",
        "heartbeat",
    ]


def test_a_scheduler_cron_fires_at_its_time_in_its_time_zone(cloud: LocalCloud) -> None:
    paris = clock(cloud).now().astimezone(ZoneInfo("Europe/Paris"))
    due = paris.replace(hour=2, minute=30, second=0, microsecond=0)
    while due <= paris or due.isoweekday() > 5:
        due += timedelta(days=1)

    clock(cloud).advance((due - paris).total_seconds() - 1)
    assert events_of(cloud, "NightlyReportFunction") == []
    clock(cloud).advance(1)

    [event] = wait_until(lambda: events_of(cloud, "NightlyReportFunction"), what="the report")
    assert event == {"report": "nightly"}


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("cron(0 12 * * MON *)", "one of day-of-month and day-of-week must be ?"),
        ("cron(0 25 * * ? *)", "hours: '25' is not a value from 0 to 23"),
        ("cron(0 12 * * ?)", "six fields"),
        ("rate(1 minutes)", "a rate of 1 takes the unit singular"),
    ],
)
def test_a_schedule_eventbridge_would_refuse_stops_the_start_naming_it(
    emulator: Emulator, tmp_path: Path, expression: str, reason: str
) -> None:
    template = tmp_path / "template.yaml"
    text = (APPS / "bad_schedule.yaml").read_text()
    template.write_text(
        text.replace("cron(0 12 * * MON *)", expression).replace(
            "recorder/", str(APPS / "recorder")
        )
    )

    with pytest.raises(TemplateError) as refused:
        provision(template, emulator.endpoint_url, stack_name="badcron")

    message = str(refused.value)
    assert message.startswith(
        "ReportFunctionDaily (AWS::Events::Rule): property ScheduleExpression"
    )
    assert repr(expression) in message
    assert reason in message
