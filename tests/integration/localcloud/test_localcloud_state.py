"""`localcloud up --state DIR`: any template's resources and data outlive a restart, reached
with the new run's credentials."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import boto3
import pytest

from support.petstore_process import LOCALCLOUD, RunningUp, start_up

pytestmark = pytest.mark.integration

APP = Path(__file__).parent / "stack_app"
STACK = "orders-app"


def _start(tmp_path: Path, state: Path) -> RunningUp:
    return start_up(
        LOCALCLOUD,
        tmp_path,
        *("--template", str(APP / "template.yaml"), "--stack-name", STACK),
        *("--parameter-overrides", "Environment=dev", "--no-hot-reload"),
        *("--state", str(state)),
    )


def _client(running: RunningUp, service: str) -> Any:
    export = next(line for line in running.output if line.strip().startswith("export "))
    exported = dict(word.split("=", 1) for word in shlex.split(export)[1:])
    return boto3.client(
        service,
        endpoint_url=exported["AWS_ENDPOINT_URL"],
        region_name=exported["AWS_REGION"],
        aws_access_key_id=exported["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=exported["AWS_SECRET_ACCESS_KEY"],
    )


def _table_name(running: RunningUp) -> str:
    stack = _client(running, "cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    return next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "OrdersTableName")


@pytest.mark.timeout(240)
def test_a_templates_table_and_its_items_outlive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "kept"
    first = _start(tmp_path, state)
    try:
        table = _table_name(first)
        _client(first, "dynamodb").put_item(
            TableName=table, Item={"orderId": {"S": "o-1"}, "pet": {"S": "Rex"}}
        )
    finally:
        first.stop()

    second = _start(tmp_path, state)
    try:
        table_after = _table_name(second)
        item = _client(second, "dynamodb").get_item(
            TableName=table_after, Key={"orderId": {"S": "o-1"}}
        )
    finally:
        second.stop()

    assert table_after == table
    assert item["Item"]["pet"] == {"S": "Rex"}
