"""FilterCriteria on a local cloud of its own (sample_apps/filters.yaml): an SQS message
that no pattern matches is deleted without an invocation, as Lambda does, and one that
matches reaches the function; a stream record that no pattern matches is passed over and
the records after it still arrive. A pattern Lambda would refuse stops the start, naming
the function and the pattern."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.cloudformation.provision import provision
from localcloud.emulator.process import Emulator
from localcloud.model import TemplateError
from support.sample_cloud import client, sample_cloud
from support.waiting import wait_until

pytestmark = pytest.mark.integration

APPS = Path(__file__).with_name("sample_apps")
STACK = "filters"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with sample_cloud(APPS / "filters.yaml", STACK) as started:
        yield started


def physical(cloud: LocalCloud, logical_id: str) -> str:
    assert cloud.stack is not None
    return cloud.stack.physical_ids[logical_id]


def records_seen_by(cloud: LocalCloud, function: str) -> list[dict[str, Any]]:
    items = client(cloud, "dynamodb").scan(TableName=physical(cloud, "SeenTable"))["Items"]
    return [
        record
        for item in items
        if item["function"]["S"] == f"{STACK}-{function}"
        for record in json.loads(item["event"]["S"])["Records"]
    ]


def queue_is_empty(cloud: LocalCloud, queue: str) -> bool:
    attributes = client(cloud, "sqs").get_queue_attributes(
        QueueUrl=physical(cloud, queue),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(count == "0" for count in attributes.values())


def test_an_sqs_message_no_pattern_matches_is_deleted_without_an_invocation(
    cloud: LocalCloud,
) -> None:
    sqs = client(cloud, "sqs")
    refused = [
        {"id": "small", "amount": 99.5, "kind": "order.placed", "channel": "web"},
        {"id": "not-an-order", "amount": 500, "kind": "refund.issued", "channel": "WEB"},
        {"id": "neither-or", "amount": 500, "kind": "order.placed", "channel": "phone"},
        {"id": "amount-as-text", "amount": "500", "kind": "order.placed", "channel": "web"},
    ]
    taken = [
        {"id": "web-in-capitals", "amount": 100, "kind": "order.placed", "channel": "Web"},
        {"id": "priority", "amount": 250, "kind": "order.paid", "channel": "phone", "priority": 1},
    ]
    for body in [*refused, "plain text, not JSON", *taken]:
        sqs.send_message(QueueUrl=physical(cloud, "OrdersQueue"), MessageBody=json.dumps(body))

    def taken_ids() -> set[str]:
        return {json.loads(r["body"])["id"] for r in records_seen_by(cloud, "LargeOrdersFunction")}

    wait_until(lambda: len(taken_ids()) == len(taken), what="the matching orders")
    wait_until(lambda: queue_is_empty(cloud, "OrdersQueue"), what="the queue to empty")
    assert taken_ids() == {"web-in-capitals", "priority"}
    assert queue_is_empty(cloud, "OrdersDeadLetterQueue")


def test_a_stream_record_no_pattern_matches_is_passed_over_and_later_ones_arrive(
    cloud: LocalCloud,
) -> None:
    dynamodb = client(cloud, "dynamodb")
    table = physical(cloud, "OrdersTable")
    for order_id, status in (("o-1", "PENDING"), ("o-2", "CONFIRMED"), ("o-1", "CONFIRMED")):
        dynamodb.put_item(
            TableName=table, Item={"orderId": {"S": order_id}, "status": {"S": status}}
        )
    dynamodb.delete_item(TableName=table, Key={"orderId": {"S": "o-2"}})
    dynamodb.put_item(TableName=table, Item={"orderId": {"S": "o-3"}, "status": {"S": "PENDING"}})
    dynamodb.put_item(TableName=table, Item={"orderId": {"S": "o-4"}, "status": {"S": "CONFIRMED"}})

    def confirmed() -> list[tuple[str, str]]:
        return [
            (record["eventName"], record["dynamodb"]["NewImage"]["orderId"]["S"])
            for record in records_seen_by(cloud, "ConfirmedOrdersFunction")
        ]

    wait_until(lambda: len(confirmed()) >= 3, what="the confirmed orders' records")
    assert sorted(confirmed()) == [("INSERT", "o-2"), ("INSERT", "o-4"), ("MODIFY", "o-1")]


def test_a_filter_pattern_lambda_would_refuse_stops_the_start_naming_function_and_pattern(
    emulator: Emulator,
) -> None:
    with pytest.raises(TemplateError) as refused:
        provision(APPS / "bad_filter.yaml", emulator.endpoint_url, stack_name="badfilter")

    message = str(refused.value)
    assert "property FilterCriteria of function SmallOrdersFunction" in message
    assert '{"numeric": ["<", 10, ">", 0]}' in message
    assert "a range is a lower bound" in message
