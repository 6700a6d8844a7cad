"""The emulator's CloudWatch keeps 3 hours of datapoints: an emulator that runs for days
holds, and walks on every GetMetricData, a bounded number of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudwatch.models import cloudwatch_backends
from moto.core import DEFAULT_ACCOUNT_ID

from localcloud.emulator.patches import metric_retention

pytestmark = pytest.mark.integration

REGION = "us-east-1"
START = datetime(2026, 12, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    clock = Clock()
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        for owner, name, replacement in metric_retention.PATCHES:
            patch.setattr(owner, name, replacement)
        patch.setattr(metric_retention, "clock", clock)
        yield clock


def put_depth(cloudwatch: Any, *moments: datetime) -> None:
    cloudwatch.put_metric_data(
        Namespace="AWS/SQS",
        MetricData=[{"MetricName": "Depth", "Timestamp": at, "Value": 1.0} for at in moments],
    )


def test_a_day_of_datapoints_every_10_seconds_keeps_the_last_3_hours(clock: Clock) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    stored = []
    for _ in range(24 * 6 * 6):  # a day, every 10 s, in 10-minute steps of 60 points
        put_depth(cloudwatch, *(clock.now + timedelta(seconds=s) for s in range(0, 600, 10)))
        clock.now += timedelta(minutes=10)
        stored.append(len(cloudwatch_backends[DEFAULT_ACCOUNT_ID][REGION].metric_data))

    assert max(stored) <= 3 * 360 + 60
    assert stored[-1] == stored[18] == 3 * 360 + 60


def test_datapoints_younger_than_3_hours_are_all_answered(clock: Clock) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for minute in range(200):
        put_depth(cloudwatch, START + timedelta(minutes=minute))
        clock.now = START + timedelta(minutes=minute)

    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/SQS", "MetricName": "Depth"},
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=START,
        EndTime=clock.now + timedelta(minutes=1),
    )["MetricDataResults"][0]

    kept = {timestamp.replace(tzinfo=UTC) for timestamp in answer["Timestamps"]}
    last_3_hours = {clock.now - timedelta(minutes=minute) for minute in range(181)}
    assert last_3_hours <= kept
    assert min(kept) >= clock.now - metric_retention.RETENTION - metric_retention.PRUNE_EVERY


def test_datapoints_of_one_metric_share_their_names_and_dimensions_and_stay_apart_by_queue(
    clock: Clock,
) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for minute in range(3):
        for queue, depth in (("orders", 1.0), ("payments", 5.0)):
            cloudwatch.put_metric_data(
                Namespace="AWS/SQS",
                MetricData=[
                    {
                        "MetricName": "ApproximateNumberOfMessagesVisible",
                        "Dimensions": [{"Name": "QueueName", "Value": queue}],
                        "Timestamp": START + timedelta(minutes=minute),
                        "Value": depth,
                        "Unit": "Count",
                    }
                ],
            )

    data = cloudwatch_backends[DEFAULT_ACCOUNT_ID][REGION].metric_data
    orders = [datum for datum in data if datum.dimensions[0].value == "orders"]
    assert len(orders) == 3
    assert all(datum.dimensions is orders[0].dimensions for datum in orders)
    assert all(datum.name is orders[0].name for datum in data)
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "payments",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SQS",
                        "MetricName": "ApproximateNumberOfMessagesVisible",
                        "Dimensions": [{"Name": "QueueName", "Value": "payments"}],
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=START,
        EndTime=START + timedelta(minutes=3),
    )["MetricDataResults"][0]
    assert answer["Values"] == [5.0, 5.0, 5.0]
