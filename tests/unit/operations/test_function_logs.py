"""The functions' log lines reach the emulated CloudWatch Logs as Lambda ships them: one
log group per function, the one its LoggingConfig names (else /aws/lambda/<function name>)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.cloudwatch.monitoring import FunctionLogShipper


@pytest.fixture
def logs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("logs", region_name="us-east-1")


def messages(logs: Any, group: str) -> list[str]:
    return [event["message"] for event in logs.filter_log_events(logGroupName=group)["events"]]


def test_each_functions_lines_go_to_its_own_log_group_in_order(logs: Any) -> None:
    shipper = FunctionLogShipper(logs, interval_s=60)
    shipper.start()
    try:
        for line in ("first", "", "second"):
            shipper.ship("/aws/lambda/petstore-PlaceOrder", line)
        shipper.ship("/aws/lambda/petstore-GetPet", "other")
        assert shipper.flush()
    finally:
        shipper.stop()

    assert messages(logs, "/aws/lambda/petstore-PlaceOrder") == ["first", "second"]
    assert messages(logs, "/aws/lambda/petstore-GetPet") == ["other"]


def test_a_log_group_deleted_meanwhile_is_created_again(logs: Any) -> None:
    shipper = FunctionLogShipper(logs, interval_s=60)
    shipper.start()
    try:
        shipper.ship("/aws/lambda/petstore-PlaceOrder", "before the reset")
        assert shipper.flush()
        logs.delete_log_group(logGroupName="/aws/lambda/petstore-PlaceOrder")
        shipper.ship("/aws/lambda/petstore-PlaceOrder", "after the reset")
        assert shipper.flush()
    finally:
        shipper.stop()

    assert messages(logs, "/aws/lambda/petstore-PlaceOrder") == ["after the reset"]
