"""Metric data the local cloud derives from functions' EMF lines, invocations, API requests
and queue attributes, and how it reaches the emulated CloudWatch."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.cloudwatch.metrics import (
    ApiRequest,
    MetricPoint,
    MetricPublisher,
    api_request_points,
    emf_metric_points,
    is_emf_line,
    iterator_age_points,
    lambda_invocation_points,
    metric_data,
    queue_points,
)
from localcloud.model import InvocationResult

AT = datetime(2026, 11, 24, 10, 0, 0, 250000, tzinfo=UTC)
EMF_LINE = json.dumps(
    {
        "_aws": {
            "Timestamp": int(AT.timestamp() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": "PetStore",
                    "Dimensions": [["service"]],
                    "Metrics": [
                        {"Name": "OrdersPlaced", "Unit": "Count"},
                        {"Name": "SagaDuration", "Unit": "Milliseconds"},
                    ],
                }
            ],
        },
        "service": "orders",
        "OrdersPlaced": [1.0, 1.0],
        "SagaDuration": [1234.5],
    },
    separators=(",", ":"),
)


def test_an_emf_line_becomes_the_metric_data_cloudwatch_logs_would_extract() -> None:
    points = emf_metric_points(EMF_LINE)

    assert points == [
        MetricPoint("PetStore", "OrdersPlaced", (("service", "orders"),), (1.0, 1.0), "Count", AT),
        MetricPoint(
            "PetStore", "SagaDuration", (("service", "orders"),), (1234.5,), "Milliseconds", AT
        ),
    ]


def test_each_dimension_set_of_an_emf_directive_is_a_metric_of_its_own() -> None:
    document = {
        "_aws": {
            "Timestamp": 0,
            "CloudWatchMetrics": [
                {
                    "Namespace": "PetStore",
                    "Dimensions": [["function_name", "service"], []],
                    "Metrics": [{"Name": "ColdStart", "Unit": "Count"}],
                }
            ],
        },
        "service": "orders",
        "function_name": "petstore-PlaceOrder",
        "ColdStart": 1,
    }

    points = emf_metric_points(json.dumps(document))

    assert [point.dimensions for point in points] == [
        (("function_name", "petstore-PlaceOrder"), ("service", "orders")),
        (),
    ]


@pytest.mark.parametrize(
    "line",
    [
        '{"level": "INFO", "message": "Order placed"}',
        "plain text",
        '{"_aws": "not an envelope"}',
        '{"_aws": {"CloudWatchMetrics": [{"Namespace": "X", "Metrics": [{"Name": "M"}]}]}}',
    ],
)
def test_lines_that_carry_no_metric_give_no_metric_data(line: str) -> None:
    assert emf_metric_points(line) == []


def test_only_lines_that_may_be_emf_are_handed_to_the_parser() -> None:
    assert is_emf_line(EMF_LINE)
    assert not is_emf_line('{"level": "INFO", "message": "Order placed"}')
    assert not is_emf_line("_aws")


def test_an_invocation_counts_as_lambda_counts_it() -> None:
    failed = InvocationResult(ok=False, error_type="ValueError", duration_ms=12.5)

    points = lambda_invocation_points("petstore-PlaceOrder", failed, AT)

    assert {point.name: point.values for point in points} == {
        "Invocations": (1.0,),
        "Errors": (1.0,),
        "Duration": (12.5,),
        "Throttles": (0.0,),
    }
    assert {point.dimensions for point in points} == {(("FunctionName", "petstore-PlaceOrder"),)}
    assert {point.namespace for point in points} == {"AWS/Lambda"}


def test_a_stream_batch_reports_the_age_of_its_last_record_as_iterator_age() -> None:
    created = AT.timestamp() - 90
    event = {
        "Records": [
            {"eventSource": "aws:dynamodb", "dynamodb": {"ApproximateCreationDateTime": 0}},
            {"eventSource": "aws:dynamodb", "dynamodb": {"ApproximateCreationDateTime": created}},
        ]
    }

    [point] = iterator_age_points("petstore-OrdersOutboxPublisher", event, AT.timestamp(), AT)

    assert (point.namespace, point.name, point.unit) == (
        "AWS/Lambda",
        "IteratorAge",
        "Milliseconds",
    )
    assert point.dimensions == (("FunctionName", "petstore-OrdersOutboxPublisher"),)
    assert point.values == (pytest.approx(90_000),)


@pytest.mark.parametrize(
    "event",
    [
        {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]},
        {"Records": []},
        {"httpMethod": "GET"},
    ],
)
def test_other_invocations_report_no_iterator_age(event: dict[str, Any]) -> None:
    assert iterator_age_points("f", event, AT.timestamp(), AT) == []


def test_an_api_request_counts_for_the_api_its_stage_and_its_route() -> None:
    request = ApiRequest(status=503, latency_ms=40.0, method="POST", resource="/orders")

    points = api_request_points("petstore", "dev", request, AT)

    by_dimensions: dict[Any, dict[str, float]] = {}
    for point in points:
        by_dimensions.setdefault(point.dimensions, {})[point.name] = point.values[0]
    route = (("ApiName", "petstore"), ("Method", "POST"), ("Resource", "/orders"), ("Stage", "dev"))
    assert by_dimensions[route] == {"Count": 1.0, "4XXError": 0.0, "5XXError": 1.0, "Latency": 40.0}
    assert (("ApiName", "petstore"), ("Stage", "dev")) in by_dimensions
    assert (("ApiName", "petstore"),) in by_dimensions


def test_an_unmatched_request_counts_for_the_api_only() -> None:
    points = api_request_points("petstore", "dev", ApiRequest(status=403, latency_ms=1.0), AT)

    assert {point.dimensions for point in points} == {
        (("ApiName", "petstore"),),
        (("ApiName", "petstore"), ("Stage", "dev")),
    }
    assert {p.name: p.values[0] for p in points if p.name.endswith("XXError")} == {
        "4XXError": 1.0,
        "5XXError": 0.0,
    }


def test_queue_attributes_become_the_sqs_metrics_of_the_queue() -> None:
    attributes = {
        "ApproximateNumberOfMessages": "3",
        "ApproximateNumberOfMessagesNotVisible": "1",
        "ApproximateNumberOfMessagesDelayed": "0",
        "QueueArn": "arn:aws:sqs:us-east-1:123456789012:orders-dlq",
    }

    points = queue_points("orders-dlq", attributes, AT)

    assert {point.name: point.values[0] for point in points} == {
        "ApproximateNumberOfMessagesVisible": 3.0,
        "ApproximateNumberOfMessagesNotVisible": 1.0,
        "ApproximateNumberOfMessagesDelayed": 0.0,
    }


def test_values_of_one_metric_within_a_second_are_sent_as_one_statistic_set() -> None:
    same_second = [
        MetricPoint(
            "AWS/Lambda", "Duration", (("FunctionName", "f"),), (value,), "Milliseconds", AT
        )
        for value in (10.0, 30.0, 20.0)
    ]
    next_second = MetricPoint(
        "AWS/Lambda",
        "Duration",
        (("FunctionName", "f"),),
        (5.0,),
        "Milliseconds",
        AT + timedelta(seconds=1),
    )

    data = metric_data([*same_second, next_second])["AWS/Lambda"]

    assert data[0]["StatisticValues"] == {
        "SampleCount": 3.0,
        "Sum": 60.0,
        "Minimum": 10.0,
        "Maximum": 30.0,
    }
    assert data[0]["Timestamp"] == AT.replace(microsecond=0)
    assert data[1]["Value"] == 5.0


@pytest.fixture
def cloudwatch() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


def test_the_publisher_sends_recorded_points_and_emf_lines_to_cloudwatch(cloudwatch: Any) -> None:
    now = datetime.now(UTC)
    publisher = MetricPublisher(
        lambda namespace, data: cloudwatch.put_metric_data(Namespace=namespace, MetricData=data),
        flush_interval_s=60,
    )
    publisher.start()
    try:
        emf = json.loads(EMF_LINE)
        emf["_aws"]["Timestamp"] = int(now.timestamp() * 1000)
        publisher.record_emf(json.dumps(emf))
        publisher.record(lambda_invocation_points("f", InvocationResult(ok=True), now))

        assert publisher.flush()
    finally:
        publisher.stop()

    def total(namespace: str, name: str, dimensions: list[dict[str, str]]) -> float:
        statistics = cloudwatch.get_metric_statistics(
            Namespace=namespace,
            MetricName=name,
            Dimensions=dimensions,
            StartTime=now - timedelta(minutes=1),
            EndTime=now + timedelta(minutes=1),
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        return sum(point["Sum"] for point in statistics)

    assert total("PetStore", "OrdersPlaced", [{"Name": "service", "Value": "orders"}]) == 2.0
    assert total("AWS/Lambda", "Invocations", [{"Name": "FunctionName", "Value": "f"}]) == 1.0


def test_a_publisher_that_cannot_send_keeps_running() -> None:
    attempts: list[str] = []

    def failing_send(namespace: str, data: list[dict[str, Any]]) -> None:
        attempts.append(namespace)
        raise ConnectionError("emulator gone")

    publisher = MetricPublisher(failing_send, flush_interval_s=60)
    publisher.start()
    try:
        publisher.record(lambda_invocation_points("f", InvocationResult(ok=True), AT))
        assert publisher.flush()
        publisher.record(lambda_invocation_points("f", InvocationResult(ok=True), AT))
        assert publisher.flush()
    finally:
        publisher.stop()

    assert attempts == ["AWS/Lambda", "AWS/Lambda"]


def test_the_emulator_answers_the_age_of_a_queues_oldest_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moto.sqs.models import Queue

    from localcloud.emulator.patches import sqs_age as metrics_sqs_age

    monkeypatch.setattr(Queue, "BASE_ATTRIBUTES", list(Queue.BASE_ATTRIBUTES))
    monkeypatch.setattr(Queue, "approximate_age_of_oldest_message", None, raising=False)
    metrics_sqs_age.install()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="orders")["QueueUrl"]

        def age() -> dict[str, str]:
            attributes = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateAgeOfOldestMessage"]
            )["Attributes"]
            return dict(attributes)

        empty = age()
        sqs.send_message(QueueUrl=url, MessageBody="first")
        sqs.send_message(QueueUrl=url, MessageBody="second")
        sqs.receive_message(QueueUrl=url)  # in flight still counts
        later = time.time() + 120
        monkeypatch.setattr(metrics_sqs_age, "time", SimpleNamespace(time=lambda: later))

        assert empty == {"ApproximateAgeOfOldestMessage": "0"}
        assert age() == {"ApproximateAgeOfOldestMessage": "120"}
        points = queue_points("orders", age(), AT)
        assert [(p.name, p.values, p.unit) for p in points] == [
            ("ApproximateAgeOfOldestMessage", (120.0,), "Seconds")
        ]
