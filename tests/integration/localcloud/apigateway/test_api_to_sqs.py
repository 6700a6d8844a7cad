"""A REST API integrated straight with SQS (api_to_sqs_app, `type: aws`, no function): the
request template turns the JSON body into SendMessage's form, the message lands on the
queue with the attribute the template maps from the query string, SQS's answer comes back
with the status and header the integration responses give; a body no template maps is
refused (passthrough never) and an SQS refusal (a message over the queue's size limit) is
mapped by its status code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import free_port

pytestmark = pytest.mark.integration

APP_TEMPLATE = Path(__file__).with_name("api_to_sqs_app") / "template.yaml"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    started = LocalCloud(
        LocalCloudConfig(
            template=APP_TEMPLATE,
            stack_name="ordersqueue",
            api_port=free_port(),
            emulator_port=free_port(),
            monitoring=None,
            quiet=True,
        )
    )
    started.start()
    yield started
    started.stop()


def queued(cloud: LocalCloud) -> list[dict[str, Any]]:
    assert cloud.stack is not None
    sqs = boto3.client("sqs", endpoint_url=cloud.endpoint_url, region_name="us-east-1")
    return sqs.receive_message(
        QueueUrl=cloud.stack.outputs["OrdersQueueUrl"],
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
    ).get("Messages", [])


def test_a_posted_order_is_sent_to_the_queue_and_sqs_answer_passed_through(
    cloud: LocalCloud,
) -> None:
    order = {"petId": "p-1", "quantity": 2, "note": "a & b = c?"}

    answer = requests.post(
        f"{cloud.api_url}/orders", params={"channel": "web"}, json=order, timeout=30
    )

    assert answer.status_code == 200
    assert answer.headers["X-Queued-By"] == "orders-api"
    [message] = queued(cloud)
    assert json.loads(message["Body"]) == order
    assert message["MessageAttributes"]["channel"]["StringValue"] == "web"
    assert message["MessageId"] in answer.text
    assert "SendMessageResponse" in answer.text


def test_a_body_no_request_template_maps_is_refused_with_415(cloud: LocalCloud) -> None:
    answer = requests.post(
        f"{cloud.api_url}/orders",
        data="petId=p-1",
        headers={"Content-Type": "text/plain"},
        timeout=30,
    )

    assert answer.status_code == 415
    assert answer.json() == {"message": "Unsupported Media Type"}
    assert queued(cloud) == []


def test_an_sqs_refusal_is_mapped_by_its_status_code(cloud: LocalCloud) -> None:
    too_large = {"petId": "p-2", "note": "x" * 2000}  # the queue takes up to 1 KiB

    answer = requests.post(
        f"{cloud.api_url}/orders", params={"channel": "web"}, json=too_large, timeout=30
    )

    assert answer.status_code == 400
    assert "X-Queued-By" not in answer.headers
    assert "Error" in answer.text
    assert queued(cloud) == []


def test_what_has_no_local_effect_is_listed_as_ignored_by_name(cloud: LocalCloud) -> None:
    assert cloud.stack is not None
    ignored = cloud.stack.ignored

    assert (
        "ApiGatewayAccount (AWS::ApiGateway::Account): ignored locally — the account's API "
        "Gateway logging role has no local effect"
    ) in ignored
    assert any(
        line.startswith(
            "OrdersApi (AWS::ApiGateway::RestApi): POST /orders: integration credentials"
        )
        for line in ignored
    ), ignored
