"""A stream publisher that keeps failing on one record, on a local cloud of its own
(stream_failures_app, set like template.yaml's outbox publishers): the failing batch is
bisected down to the record, which is retried MaximumRetryAttempts times and then given
up to the on-failure queue as Lambda's invocation record, whose alarm fires; the records
after it in the shard are still published, and writes that are not new outbox items never
invoke the publisher. Each stream invocation reports the publisher's IteratorAge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models.dynamodb import (
    DynamoDBStreamLambdaOnFailureDestinationModel,
)

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.cloudwatch.monitoring import MonitoringSettings
from localcloud.emulator.process import free_port
from support.waiting import wait_until

pytestmark = pytest.mark.integration

APP_TEMPLATE = Path(__file__).with_name("stream_failures_app") / "template.yaml"
STACK = "streamfailures"
FAST_ALARMS = MonitoringSettings(
    sample_interval_s=0.5, queue_sample_interval_s=0.5, alarm_period_s=2, flush_interval_s=0.2
)


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    started = LocalCloud(
        LocalCloudConfig(
            template=APP_TEMPLATE,
            stack_name=STACK,
            api_port=free_port(),
            emulator_port=free_port(),
            monitoring=FAST_ALARMS,
            quiet=True,
        )
    )
    started.start()
    yield started
    started.stop()


def client(cloud: LocalCloud, service: str) -> Any:
    return boto3.client(service, endpoint_url=cloud.endpoint_url, region_name="us-east-1")


def physical(cloud: LocalCloud, logical_id: str) -> str:
    assert cloud.stack is not None
    return cloud.stack.physical_ids[logical_id]


def put(key: str, **attributes: Any) -> dict[str, Any]:
    item = {"pk": {"S": key}} | {name: {"BOOL": value} for name, value in attributes.items()}
    return {"Put": {"TableName": "", "Item": item}}


def write_together(cloud: LocalCloud, *puts: dict[str, Any], table: str = "OutboxTable") -> None:
    """One transaction: its stream records are read in one batch."""
    table = physical(cloud, table)
    for entry in puts:
        entry["Put"]["TableName"] = table
    client(cloud, "dynamodb").transact_write_items(TransactItems=list(puts))


def batches(cloud: LocalCloud) -> list[list[str]]:
    """The keys of every batch the publisher was invoked with, in order."""
    items = client(cloud, "dynamodb").scan(TableName=physical(cloud, "PublishedTable"))["Items"]
    ordered = sorted(items, key=lambda item: int(item["at"]["N"]))
    return [[key["S"] for key in item["keys"]["L"]] for item in ordered]


def alarm_state(cloud: LocalCloud) -> str:
    alarms = client(cloud, "cloudwatch").describe_alarms(
        AlarmNames=["publisher-failures-not-empty"]
    )["MetricAlarms"]
    return str(alarms[0]["StateValue"]) if alarms else "NONE"


def test_a_failing_record_is_bisected_retried_given_up_alarmed_on_and_the_shard_goes_on(
    cloud: LocalCloud,
) -> None:
    before = len(batches(cloud))
    write_together(
        cloud,
        put("OUTBOX#a"),
        put("ORDER#not-an-outbox-item"),
        put("OUTBOX#bad", poison=True),
        put("OUTBOX#c"),
    )

    # [a, bad, c] fails and is split; [a] is published, [bad, c] fails and is split;
    # [bad] fails, is retried once (MaximumRetryAttempts: 1) and given up; [c] follows.
    expected = [
        ["OUTBOX#a", "OUTBOX#bad", "OUTBOX#c"],
        ["OUTBOX#a"],
        ["OUTBOX#bad", "OUTBOX#c"],
        ["OUTBOX#bad"],
        ["OUTBOX#bad"],
        ["OUTBOX#c"],
    ]
    wait_until(
        lambda: batches(cloud)[before:] == expected, timeout_s=30, what="the bisected retries"
    )
    wait_until(lambda: alarm_state(cloud) == "ALARM", timeout_s=30, what="the queue's alarm")

    sqs = client(cloud, "sqs")
    queue_url = physical(cloud, "PublisherFailuresQueue")
    [message] = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    record = json.loads(message["Body"])
    DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(record)
    stream_arn = client(cloud, "dynamodb").describe_table(TableName=physical(cloud, "OutboxTable"))[
        "Table"
    ]["LatestStreamArn"]
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["functionArn"].endswith(f":function:{STACK}-PublisherFunction")
    # the whole batch, [bad, c], [bad] and its retry
    assert record["requestContext"]["approximateInvokeCount"] == 4
    assert record["responseContext"]["functionError"] == "Unhandled"
    info = record["DDBStreamBatchInfo"]
    assert info["streamArn"] == stream_arn
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["shardId"].startswith("shardId-")

    write_together(cloud, put("OUTBOX#later"), put("ORDER#another"))

    wait_until(
        lambda: batches(cloud)[before + len(expected) :] == [["OUTBOX#later"]],
        timeout_s=30,
        what="the record written after the given-up one",
    )
    assert not [batch for batch in batches(cloud) if any("ORDER#" in key for key in batch)]


def test_each_stream_invocation_reports_iterator_age_by_function_name(cloud: LocalCloud) -> None:
    write_together(cloud, put("OUTBOX#timed"))
    wait_until(lambda: ["OUTBOX#timed"] in batches(cloud), timeout_s=30, what="the invocation")
    assert cloud.monitoring is not None and cloud.monitoring.flush()

    metrics = client(cloud, "cloudwatch").list_metrics(
        Namespace="AWS/Lambda", MetricName="IteratorAge"
    )["Metrics"]

    assert [{"Name": "FunctionName", "Value": f"{STACK}-PublisherFunction"}] in [
        metric["Dimensions"] for metric in metrics
    ]


def test_a_record_that_fails_until_it_is_older_than_the_maximum_age_is_given_up_as_aged(
    cloud: LocalCloud,
) -> None:
    sqs = client(cloud, "sqs")
    queue_url = physical(cloud, "AgedFailuresQueue")
    write_together(cloud, put("OUTBOX#stale", poison=True), table="AgedTable")

    def given_up() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        return [json.loads(message["Body"]) for message in messages.get("Messages", [])]

    records: list[dict[str, Any]] = []
    wait_until(lambda: bool(records.extend(given_up()) or records), timeout_s=30, what="it")
    [record] = records
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] >= 1
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1

    write_together(cloud, put("OUTBOX#fresh"), table="AgedTable")
    wait_until(lambda: ["OUTBOX#fresh"] in batches(cloud), timeout_s=30, what="the next record")
