"""The local alarm evaluator computes each alarm's state from its metric data as CloudWatch
does, sets it, and tells the alarm's SNS topics of every change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.cloudwatch import alarms
from localcloud.cloudwatch.alarms import ALARM, INSUFFICIENT_DATA, OK, AlarmEvaluator, judge

REGION = "us-east-1"
DLQ = [{"Name": "QueueName", "Value": "orders-dlq"}]


def alarm_settings(**overrides: Any) -> dict[str, Any]:
    return {
        "Threshold": 0.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": 1,
        **overrides,
    }


@pytest.mark.parametrize(
    ("datapoints", "settings", "state"),
    [
        ([3.0], {}, ALARM),
        ([0.0], {}, OK),
        ([1.0, 0.0, 1.0], {"EvaluationPeriods": 3, "DatapointsToAlarm": 2}, ALARM),
        ([1.0, 0.0, 0.0], {"EvaluationPeriods": 3, "DatapointsToAlarm": 2}, OK),
        ([None, 1.0, None], {"EvaluationPeriods": 3, "DatapointsToAlarm": 2}, OK),
        (
            [None, 1.0, None],
            {"EvaluationPeriods": 3, "DatapointsToAlarm": 2, "TreatMissingData": "breaching"},
            ALARM,
        ),
        ([None], {}, INSUFFICIENT_DATA),
        ([None], {"TreatMissingData": "notBreaching"}, OK),
        ([None], {"TreatMissingData": "breaching"}, ALARM),
        ([5.0], {"ComparisonOperator": "LessThanOrEqualToThreshold", "Threshold": 5}, ALARM),
    ],
)
def test_datapoints_put_the_alarm_in_the_state_cloudwatch_would(
    datapoints: list[float | None], settings: dict[str, Any], state: str
) -> None:
    verdict = judge(alarm_settings(**settings), datapoints)

    assert verdict is not None
    assert verdict.state == state


def test_an_alarm_that_ignores_missing_data_keeps_its_state_without_data() -> None:
    assert judge(alarm_settings(TreatMissingData="ignore"), [None]) is None


@dataclass
class Emulated:
    cloudwatch: Any
    sns: Any
    sqs: Any
    topic_arn: str
    inbox_url: str

    def put(
        self, namespace: str, name: str, value: float, dimensions: list[Any], ago_s: float
    ) -> None:
        self.cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": name,
                    "Dimensions": dimensions,
                    "Value": value,
                    "Timestamp": datetime.now(UTC) - timedelta(seconds=ago_s),
                }
            ],
        )

    def state(self, alarm_name: str) -> str:
        alarms = self.cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
        return str(alarms[0]["StateValue"])

    def notifications(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.inbox_url, MaxNumberOfMessages=10)
        return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


@pytest.fixture
def emulated() -> Iterator[Emulated]:
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic_arn = sns.create_topic(Name="alarms")["TopicArn"]
        inbox_url = sqs.create_queue(QueueName="alarm-inbox")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn)
        yield Emulated(
            boto3.client("cloudwatch", region_name=REGION), sns, sqs, topic_arn, inbox_url
        )


def dlq_alarm(emulated: Emulated) -> None:
    emulated.cloudwatch.put_metric_alarm(
        AlarmName="orders-dlq-not-empty",
        AlarmDescription="A message is in the orders DLQ.",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=DLQ,
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[emulated.topic_arn],
        OKActions=[emulated.topic_arn],
    )


def test_a_breaching_datapoint_sets_the_alarm_and_notifies_its_topic(emulated: Emulated) -> None:
    dlq_alarm(emulated)
    emulated.put("AWS/SQS", "ApproximateNumberOfMessagesVisible", 2, DLQ, ago_s=1)
    evaluator = AlarmEvaluator(emulated.cloudwatch, emulated.sns, region=REGION, period_s=10)

    changes = evaluator.evaluate()

    assert [(change.alarm_name, change.new_state) for change in changes] == [
        ("orders-dlq-not-empty", ALARM)
    ]
    assert emulated.state("orders-dlq-not-empty") == ALARM
    [notification] = emulated.notifications()
    message = json.loads(notification["Message"])
    assert notification["Subject"] == 'ALARM: "orders-dlq-not-empty" in us-east-1'
    assert message["NewStateValue"] == ALARM
    assert message["OldStateValue"] == OK
    assert message["Trigger"]["Dimensions"] == [{"name": "QueueName", "value": "orders-dlq"}]


def test_the_alarm_returns_to_ok_once_its_metric_stops_breaching(emulated: Emulated) -> None:
    dlq_alarm(emulated)
    emulated.put("AWS/SQS", "ApproximateNumberOfMessagesVisible", 2, DLQ, ago_s=12)
    emulated.put("AWS/SQS", "ApproximateNumberOfMessagesVisible", 0, DLQ, ago_s=1)
    emulated.cloudwatch.set_alarm_state(
        AlarmName="orders-dlq-not-empty", StateValue=ALARM, StateReason="earlier"
    )
    evaluator = AlarmEvaluator(emulated.cloudwatch, emulated.sns, region=REGION, period_s=10)

    evaluator.evaluate()

    assert emulated.state("orders-dlq-not-empty") == OK
    assert [json.loads(n["Message"])["NewStateValue"] for n in emulated.notifications()] == [OK]


def test_an_unchanged_state_is_not_set_again_nor_notified(emulated: Emulated) -> None:
    dlq_alarm(emulated)
    emulated.put("AWS/SQS", "ApproximateNumberOfMessagesVisible", 2, DLQ, ago_s=1)
    evaluator = AlarmEvaluator(emulated.cloudwatch, emulated.sns, region=REGION, period_s=10)
    evaluator.evaluate()
    emulated.notifications()

    assert evaluator.evaluate() == []


def test_the_template_period_applies_without_an_override(emulated: Emulated) -> None:
    dlq_alarm(emulated)
    emulated.put("AWS/SQS", "ApproximateNumberOfMessagesVisible", 2, DLQ, ago_s=30)
    emulated.put("AWS/SQS", "ApproximateNumberOfMessagesVisible", 0, DLQ, ago_s=1)

    AlarmEvaluator(emulated.cloudwatch, emulated.sns, region=REGION).evaluate()

    assert emulated.state("orders-dlq-not-empty") == ALARM


def test_a_metric_math_alarm_evaluates_its_expression(emulated: Emulated) -> None:
    function = [{"Name": "FunctionName", "Value": "consumer"}]

    def stat(query_id: str, name: str) -> dict[str, Any]:
        metric = {"Namespace": "AWS/Lambda", "MetricName": name, "Dimensions": function}
        return {
            "Id": query_id,
            "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"},
            "ReturnData": False,
        }

    emulated.cloudwatch.put_metric_alarm(
        AlarmName="consumer-error-rate",
        Metrics=[
            stat("errors", "Errors"),
            stat("invocations", "Invocations"),
            {"Id": "rate", "Expression": "100 * errors / invocations", "ReturnData": True},
        ],
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[emulated.topic_arn],
    )
    for errors in (1, 0, 0, 1):
        emulated.put("AWS/Lambda", "Invocations", 1, function, ago_s=1)
        emulated.put("AWS/Lambda", "Errors", errors, function, ago_s=1)

    AlarmEvaluator(emulated.cloudwatch, emulated.sns, region=REGION, period_s=10).evaluate()

    assert emulated.state("consumer-error-rate") == ALARM
    [notification] = emulated.notifications()
    assert json.loads(notification["Message"])["NewStateReason"].startswith(
        "Threshold Crossed: 1 out of the last 1 datapoints [50]"
    )


def test_an_alarm_that_cannot_be_evaluated_does_not_stop_the_others(
    emulated: Emulated, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    dlq_alarm(emulated)
    emulated.cloudwatch.put_metric_alarm(
        **alarm_settings(AlarmName="a-broken-alarm", MetricName="Broken", Namespace="Test"),
        Statistic="Sum",
        Period=60,
    )
    emulated.put("AWS/SQS", "ApproximateNumberOfMessagesVisible", 2, DLQ, ago_s=1)
    planned = alarms.alarm_queries

    def failing_for_the_broken_alarm(alarm: Any, prefix: str, period_s: int) -> Any:
        if alarm["AlarmName"] == "a-broken-alarm":
            raise KeyError("MetricStat")
        return planned(alarm, prefix, period_s)

    monkeypatch.setattr(alarms, "alarm_queries", failing_for_the_broken_alarm)

    AlarmEvaluator(emulated.cloudwatch, emulated.sns, region=REGION, period_s=10).evaluate()

    assert emulated.state("orders-dlq-not-empty") == ALARM
    [warning] = [record for record in caplog.records if record.levelname == "WARNING"]
    assert "a-broken-alarm" in warning.getMessage()
    assert "KeyError" in warning.getMessage()
