"""The local alarm evaluator evaluates every alarm template.yaml defines, as generated and
with the template's own periods (no override): a dead letter, a consumer's error rate and
the API's 5xx rate each put their alarm in ALARM, and every other alarm is OK."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from logging import WARNING
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.cloudformation.template import parse_template
from localcloud.cloudwatch.alarms import ALARM, OK, AlarmEvaluator

REGION = "us-east-1"
STACK = "petstore"
STAGE = "Prod"
MINUTE_S = 60
TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"


def template_alarms() -> list[dict[str, Any]]:
    resources = parse_template(TEMPLATE.read_text())["Resources"].values()
    return [r["Properties"] for r in resources if r["Type"] == "AWS::CloudWatch::Alarm"]


def resolved(value: Any, topic_arn: str) -> Any:
    """The template's intrinsics as the stack resolves them: a queue's or function's name
    is its logical id here, the alarm topic is `topic_arn`."""
    if isinstance(value, list):
        return [resolved(item, topic_arn) for item in value]
    if not isinstance(value, dict):
        return value
    if value.keys() == {"Fn::Sub"}:
        return str(value["Fn::Sub"]).replace("${AWS::StackName}", STACK)
    if value.keys() == {"Ref"}:
        return {"AlarmTopic": topic_arn, "AWS::StackName": STACK, "StageName": STAGE}.get(
            value["Ref"], value["Ref"]
        )
    if value.keys() == {"Fn::GetAtt"}:
        return value["Fn::GetAtt"][0]
    return {key: resolved(item, topic_arn) for key, item in value.items()}


def integers(properties: dict[str, Any]) -> dict[str, Any]:
    typed = dict(properties)
    for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
        if key in typed:
            typed[key] = int(typed[key])
    typed["Threshold"] = float(typed["Threshold"])
    return typed


@pytest.fixture
def cloudwatch() -> Iterator[Any]:
    """Every alarm of template.yaml in moto, as the local cloud provisions them."""
    with mock_aws():
        topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name="alarms")["TopicArn"]
        client = boto3.client("cloudwatch", region_name=REGION)
        for properties in template_alarms():
            client.put_metric_alarm(**integers(resolved(properties, topic_arn)))
        yield client


def put(
    cloudwatch: Any, namespace: str, name: str, dimensions: dict[str, str], values: list[float]
) -> None:
    """One datapoint a minute: `values[0]` in the current minute, `values[1]` the minute
    before, and so on."""
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()],
                "Value": value,
                "Timestamp": minutes_ago(minutes),
            }
            for minutes, value in enumerate(values)
        ],
    )


def minutes_ago(minutes: int) -> datetime:
    # Half a minute into each of the template's one-minute periods, counted back from now.
    return datetime.now(UTC) - timedelta(seconds=minutes * MINUTE_S + MINUTE_S / 2)


def states(cloudwatch: Any) -> dict[str, str]:
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
    return {
        alarm["AlarmName"]: alarm["StateValue"] for page in pages for alarm in page["MetricAlarms"]
    }


def evaluate_with_template_periods(cloudwatch: Any) -> None:
    sns = boto3.client("sns", region_name=REGION)
    AlarmEvaluator(cloudwatch, sns, region=REGION).evaluate()


def test_the_template_defines_every_kind_of_alarm_the_evaluator_is_tested_with() -> None:
    names = [p["AlarmName"]["Fn::Sub"] for p in template_alarms()]

    assert any(name.endswith("-not-empty") for name in names)
    assert any(name.endswith("-oldest-message") for name in names)
    assert any(name.endswith("-error-rate") for name in names)
    assert any(name.endswith("-5xx-rate") for name in names)


def test_a_dead_letter_sets_its_alarm_with_the_template_periods(
    cloudwatch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    dlq = {"QueueName": "NotificationsPaymentEventsDeadLetterQueue"}
    put(cloudwatch, "AWS/SQS", "ApproximateNumberOfMessagesVisible", dlq, [1])

    evaluate_with_template_periods(cloudwatch)

    dlq_alarm = f"{STACK}-NotificationsPaymentEventsDeadLetterQueue-not-empty"
    others = {name: state for name, state in states(cloudwatch).items() if name != dlq_alarm}
    assert states(cloudwatch)[dlq_alarm] == ALARM
    assert set(others.values()) == {OK}
    assert [record.getMessage() for record in caplog.records if record.levelno >= WARNING] == []


def test_a_consumer_error_rate_sets_its_metric_math_alarm(cloudwatch: Any) -> None:
    function = {"FunctionName": "PaymentOrderEventsFunction"}
    put(cloudwatch, "AWS/Lambda", "Invocations", function, [10, 10, 10, 10, 10])
    put(cloudwatch, "AWS/Lambda", "Errors", function, [1, 0, 2, 0, 3])

    evaluate_with_template_periods(cloudwatch)

    assert states(cloudwatch)[f"{STACK}-PaymentOrderEventsFunction-error-rate"] == ALARM


def test_a_consumer_that_rarely_fails_keeps_its_alarm_ok(cloudwatch: Any) -> None:
    function = {"FunctionName": "PaymentOrderEventsFunction"}
    put(cloudwatch, "AWS/Lambda", "Invocations", function, [10, 10, 10, 10, 10])
    put(cloudwatch, "AWS/Lambda", "Errors", function, [1, 0, 0, 0, 0])

    evaluate_with_template_periods(cloudwatch)

    assert states(cloudwatch)[f"{STACK}-PaymentOrderEventsFunction-error-rate"] == OK


def test_an_api_answering_5xx_sets_its_alarm(cloudwatch: Any) -> None:
    api = {"ApiName": STACK, "Stage": STAGE}
    put(cloudwatch, "AWS/ApiGateway", "5XXError", api, [1, 0, 1, 1, 0])

    evaluate_with_template_periods(cloudwatch)

    assert states(cloudwatch)[f"{STACK}-PetStoreApi-5xx-rate"] == ALARM
