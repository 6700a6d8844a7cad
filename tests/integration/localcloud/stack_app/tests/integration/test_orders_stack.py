"""Integration tests of the orders app against a deployed stack: the stack is named by
AWS_SAM_STACK_NAME, and the API URL and queue come from its CloudFormation outputs."""

import json
import os
import time

import boto3
import pytest
import requests


@pytest.fixture(scope="module")
def outputs():
    stack_name = os.environ.get("AWS_SAM_STACK_NAME")
    if stack_name is None:
        raise ValueError("Set AWS_SAM_STACK_NAME to the name of the stack to test")
    client = boto3.client("cloudformation")
    stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0]["Outputs"]}


def test_the_queue_named_in_the_outputs_exists(outputs):
    queue_url = boto3.client("sqs").get_queue_url(QueueName=outputs["OrdersQueueName"])["QueueUrl"]

    assert queue_url.endswith("/" + outputs["OrdersQueueName"])


def test_a_placed_order_is_queued_stored_and_readable(outputs):
    api = outputs["OrdersApi"]

    placed = requests.post(f"{api}orders", json={"item": "book"}, timeout=30)

    assert placed.status_code == 202
    order_id = placed.json()["orderId"]
    deadline = time.monotonic() + 30
    while True:
        found = requests.get(f"{api}orders/{order_id}", timeout=30)
        if found.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert found.status_code == 200
    assert found.json()["item"] == "book"


def test_the_stored_order_is_in_the_table_the_outputs_name(outputs):
    api = outputs["OrdersApi"]
    order_id = requests.post(f"{api}orders", json={"item": "pen"}, timeout=30).json()["orderId"]
    table = boto3.resource("dynamodb").Table(outputs["OrdersTableName"])

    deadline = time.monotonic() + 30
    item = None
    while item is None and time.monotonic() < deadline:
        item = table.get_item(Key={"orderId": order_id}).get("Item")
        time.sleep(0.2)

    assert item is not None
    assert item["item"] == "pen"


def test_the_function_runs_when_invoked_directly(outputs):
    client = boto3.client("lambda")

    answer = client.invoke(
        FunctionName=outputs["PlaceOrderFunctionArn"],
        Payload=json.dumps({"body": json.dumps({"item": "lamp"})}),
    )

    assert answer["StatusCode"] == 200
    assert json.loads(answer["Payload"].read())["statusCode"] == 202
