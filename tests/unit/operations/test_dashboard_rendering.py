"""`petstore dashboard` draws the emulator's dashboard: one panel per widget with its
title, each metric over time, a bar widget's totals, an alarm widget's states."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from PIL import Image

from petstore_cli.dashboard import (
    MetricRow,
    dashboard_pages,
    dashboard_view,
    metric_rows,
    only_dashboard,
    render_png,
    row_labels,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NOW = datetime.now(UTC).replace(microsecond=0)


def lambda_row(function: str) -> list[str]:
    return ["AWS/Lambda", "Errors", "FunctionName", function]


WIDGETS = [
    {
        "type": "metric",
        "x": 0,
        "y": 0,
        "width": 12,
        "height": 6,
        "properties": {
            "title": "Saga funnel: orders",
            "view": "bar",
            "stat": "Sum",
            "period": 60,
            "metrics": [
                ["PetStore", "OrdersPlaced", "service", "orders"],
                ["PetStore", "OrdersConfirmed", "service", "orders"],
            ],
        },
    },
    {
        "type": "metric",
        "x": 12,
        "y": 0,
        "width": 12,
        "height": 6,
        "properties": {
            "title": "Lambda errors",
            "view": "timeSeries",
            "stat": "Sum",
            "period": 60,
            "metrics": [lambda_row(f"petstore-F{index}") for index in range(12)],
        },
    },
    {
        "type": "metric",
        "x": 0,
        "y": 6,
        "width": 12,
        "height": 6,
        "properties": {
            "title": "Nothing yet",
            "stat": "Sum",
            "period": 60,
            "metrics": [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "q"]],
        },
    },
    {
        "type": "alarm",
        "x": 12,
        "y": 6,
        "width": 12,
        "height": 6,
        "properties": {
            "title": "Alarms",
            "alarms": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:dlq-not-empty"],
        },
    },
]


@pytest.fixture
def cloudwatch() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        client.put_dashboard(
            DashboardName="petstore-operations", DashboardBody=json.dumps({"widgets": WIDGETS})
        )
        for minutes_ago, placed in ((3, 2), (2, 1)):
            client.put_metric_data(
                Namespace="PetStore",
                MetricData=[
                    {
                        "MetricName": "OrdersPlaced",
                        "Dimensions": [{"Name": "service", "Value": "orders"}],
                        "Value": placed,
                        "Timestamp": NOW - timedelta(minutes=minutes_ago),
                    }
                ],
            )
        client.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {
                    "MetricName": "Errors",
                    "Dimensions": [{"Name": "FunctionName", "Value": f"petstore-F{index}"}],
                    "Value": index,
                    "Timestamp": NOW - timedelta(minutes=1),
                }
                for index in range(12)
            ],
        )
        client.put_metric_alarm(
            AlarmName="dlq-not-empty",
            Namespace="AWS/SQS",
            MetricName="ApproximateNumberOfMessagesVisible",
            Statistic="Maximum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
        )
        client.set_alarm_state(AlarmName="dlq-not-empty", StateValue="ALARM", StateReason="test")
        yield client


def test_the_dashboard_renders_as_a_png_with_one_panel_per_widget(cloudwatch: Any) -> None:
    out = io.BytesIO()

    panels = render_png(dashboard_view(cloudwatch, "petstore-operations", now=NOW), out)

    assert panels == len(WIDGETS)
    png = out.getvalue()
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.width > 1000 and image.height > 500


def test_each_panel_carries_its_widgets_title_and_data(cloudwatch: Any) -> None:
    view = dashboard_view(cloudwatch, "petstore-operations", now=NOW)

    funnel, errors, empty, alarms = view.panels
    assert [panel.title for panel in view.panels] == [w["properties"]["title"] for w in WIDGETS]
    assert [(s.label, sum(s.values)) for s in funnel.series] == [
        ("OrdersPlaced", 3.0),
        ("OrdersConfirmed", 0),
    ]
    assert funnel.kind == "bar"
    assert len(errors.series) == 12 and errors.series[5].values == [5.0]
    assert errors.series[5].timestamps[0] <= NOW
    assert empty.series[0].values == []
    assert [(alarm.name, alarm.state) for alarm in alarms.alarms] == [("dlq-not-empty", "ALARM")]


def test_rows_are_labelled_by_what_tells_them_apart() -> None:
    rows = metric_rows(
        {
            "stat": "Sum",
            "metrics": [
                [
                    "AWS/ApiGateway",
                    "Latency",
                    "ApiName",
                    "petstore",
                    "Method",
                    "GET",
                    "Resource",
                    "/pets",
                ],
                [
                    "AWS/ApiGateway",
                    "Latency",
                    "ApiName",
                    "petstore",
                    "Method",
                    "POST",
                    "Resource",
                    "/orders",
                ],
                [
                    "AWS/ApiGateway",
                    "Latency",
                    "ApiName",
                    "petstore",
                    "Method",
                    "POST",
                    "Resource",
                    "/orders",
                    {"stat": "Maximum", "label": "slowest order"},
                ],
            ],
        }
    )

    assert rows[2] == MetricRow(
        "AWS/ApiGateway",
        "Latency",
        (("ApiName", "petstore"), ("Method", "POST"), ("Resource", "/orders")),
        "Maximum",
        "slowest order",
    )
    assert row_labels(rows) == ["GET /pets Sum", "POST /orders Sum", "slowest order"]
    functions = metric_rows(
        {"metrics": [lambda_row("petstore-PlaceOrder"), lambda_row("petstore-GetPet")]}
    )
    assert row_labels(functions) == ["PlaceOrder", "GetPet"]


def test_the_local_page_shows_the_picture_and_every_alarms_state(cloudwatch: Any) -> None:
    pages = dashboard_pages(lambda: cloudwatch)

    status, headers, page = pages["/_dashboard"]()
    picture_status, picture_headers, picture = pages["/_dashboard.png"]()

    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert b'<img src="/_dashboard.png"' in page
    assert b'<td class="ALARM">ALARM</td><td>dlq-not-empty</td>' in page
    assert (picture_status, picture_headers["Content-Type"]) == (200, "image/png")
    assert picture.startswith(PNG_SIGNATURE)
    assert only_dashboard(cloudwatch) == "petstore-operations"
