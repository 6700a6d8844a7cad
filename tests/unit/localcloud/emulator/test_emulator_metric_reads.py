"""GetMetricData in the emulator reads only the datapoints of the metrics its queries
name: the answers are moto's, and a query with dimensions keeps to its namespace, as
CloudWatch's do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends
from moto.core import DEFAULT_ACCOUNT_ID

from localcloud.emulator.patches import metric_reads

REGION = "us-east-1"
START = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
WINDOW = (
    (START - timedelta(minutes=1)).replace(tzinfo=None),
    (START + timedelta(minutes=10)).replace(tzinfo=None),
)
"""As moto's backend takes it (naive UTC)."""
QUEUE = [{"Name": "QueueName", "Value": "orders"}]
OTHER_QUEUE = [{"Name": "QueueName", "Value": "payments"}]


@pytest.fixture
def cloudwatch() -> Iterator[Any]:
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        for owner, name, replacement in metric_reads.PATCHES:
            patch.setattr(owner, name, replacement)
        yield boto3.client("cloudwatch", region_name=REGION)


def backend() -> CloudWatchBackend:
    return cloudwatch_backends[DEFAULT_ACCOUNT_ID][REGION]


def put(
    cloudwatch: Any, namespace: str, name: str, dimensions: list[Any], values: list[float]
) -> None:
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": dimensions,
                "Timestamp": START + timedelta(seconds=30 * number),
                "Value": value,
            }
            for number, value in enumerate(values)
        ],
    )


def stat(query_id: str, namespace: str, name: str, dimensions: list[Any], statistic: str,
         period: int = 60, **more: Any) -> dict[str, Any]:  # fmt: skip
    metric = {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions}
    return {"Id": query_id, "MetricStat": {"Metric": metric, "Period": period, "Stat": statistic},
            **more}  # fmt: skip


def store(cloudwatch: Any) -> None:
    put(cloudwatch, "AWS/SQS", "ApproximateNumberOfMessagesVisible", QUEUE, [1, 5, 2, 8, 3, 0])
    put(cloudwatch, "AWS/SQS", "ApproximateNumberOfMessagesVisible", OTHER_QUEUE, [4, 4, 4])
    put(cloudwatch, "AWS/SQS", "NumberOfMessagesSent", QUEUE, [10, 20, 30, 40])
    put(cloudwatch, "PetStore", "OrdersPlaced", [], [1, 1, 2, 3, 5, 8, 13])
    put(cloudwatch, "PetStore", "OrdersPlaced", [{"Name": "service", "Value": "orders"}], [2, 2])


QUERIES = [  # moto evaluates an expression that is one query's id, no arithmetic
    [stat("depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible", QUEUE, "Maximum")],
    [stat("depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible", OTHER_QUEUE, "Average", 120)],
    [stat("sent", "AWS/SQS", "NumberOfMessagesSent", QUEUE, "Sum", 300, ReturnData=False),
     stat("depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible", QUEUE, "Sum", 300,
          ReturnData=False),
     {"Id": "same", "Expression": "sent"}],
    [stat("every-queue", "AWS/SQS", "ApproximateNumberOfMessagesVisible", [], "Sum")],
    [stat("placed", "PetStore", "OrdersPlaced", [], "SampleCount"),
     stat("none", "PetStore", "NoSuchMetric", [], "Sum")],
]  # fmt: skip


@pytest.mark.parametrize("queries", QUERIES)
def test_the_answers_are_motos(cloudwatch: Any, queries: list[dict[str, Any]]) -> None:
    store(cloudwatch)
    read = metric_reads.get_metric_data(backend(), queries, *WINDOW)
    by_moto = metric_reads.MOTO_GET_METRIC_DATA(backend(), queries, *WINDOW)

    assert read == by_moto
    assert any(result["values"] for result in read)


def test_a_metric_stat_hands_moto_only_its_metrics_datapoints(cloudwatch: Any) -> None:
    store(cloudwatch)
    seen: list[int] = []

    def counting(self: CloudWatchBackend, *arguments: Any) -> Any:
        seen.append(len(self.get_all_metrics()))
        return []

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(metric_reads, "MOTO_GET_METRIC_DATA", counting)
        cloudwatch.get_metric_data(
            MetricDataQueries=QUERIES[0], StartTime=START, EndTime=START + timedelta(hours=1)
        )

    assert seen == [6]  # the orders queue's depth alone
    assert len(backend().get_all_metrics()) == 22


def test_a_query_with_dimensions_keeps_to_its_namespace(cloudwatch: Any) -> None:
    put(cloudwatch, "AWS/SQS", "ApproximateNumberOfMessagesVisible", QUEUE, [1, 1])
    put(cloudwatch, "Custom", "ApproximateNumberOfMessagesVisible", QUEUE, [100, 100])

    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            stat("depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible", QUEUE, "Sum")
        ],
        StartTime=START - timedelta(minutes=1),
        EndTime=START + timedelta(minutes=10),
    )

    assert answer["MetricDataResults"][0]["Values"] == [2.0]


def test_the_index_follows_datapoints_added_and_dropped(cloudwatch: Any) -> None:
    store(cloudwatch)
    queries = QUERIES[0]
    window = WINDOW
    metric_reads.get_metric_data(backend(), queries, *window)
    put(cloudwatch, "AWS/SQS", "ApproximateNumberOfMessagesVisible", QUEUE, [50])
    after_put = metric_reads.get_metric_data(backend(), queries, *window)
    # As metric_retention drops old datapoints: a new list of those kept.
    backend().metric_data = [d for d in backend().metric_data if d.value != 50]
    after_drop = metric_reads.get_metric_data(backend(), queries, *window)

    assert after_put[0]["values"][0] == 50
    assert after_drop == metric_reads.MOTO_GET_METRIC_DATA(backend(), queries, *window)
    assert after_drop[0]["values"][0] == 5
