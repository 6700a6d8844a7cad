"""An EventBridge pattern rule on a local cloud of its own (sample_apps/event_rules.yaml):
an event put on the default bus that the rule's pattern matches invokes the function with
the event as EventBridge sends it; events it does not match never do."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.event_sources.eventbridge.provisioning import routed_targets
from support.sample_cloud import client, sample_cloud
from support.waiting import wait_until

pytestmark = pytest.mark.integration

APPS = Path(__file__).with_name("sample_apps")
STACK = "audit"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with sample_cloud(APPS / "event_rules.yaml", STACK) as started:
        yield started


def audited(cloud: LocalCloud) -> list[dict[str, Any]]:
    assert cloud.stack is not None
    table = cloud.stack.physical_ids["SeenTable"]
    items = client(cloud, "dynamodb").scan(TableName=table)["Items"]
    return [json.loads(item["event"]["S"]) for item in items]


def nothing_in_flight(cloud: LocalCloud) -> bool:
    assert cloud.stack is not None
    sqs = client(cloud, "sqs")
    return all(
        count == "0"
        for target in routed_targets(cloud.stack)
        for count in sqs.get_queue_attributes(
            QueueUrl=target.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"].values()
    )


def test_a_matching_event_invokes_the_function_and_others_never_do(cloud: LocalCloud) -> None:
    def entry(source: str, detail_type: str, total: float) -> dict[str, str]:
        detail = json.dumps({"orderId": f"o-{total}", "total": total})
        return {"Source": source, "DetailType": detail_type, "Detail": detail}

    client(cloud, "events").put_events(
        Entries=[
            entry("petstore.orders", "Order Placed", 99.99),
            entry("petstore.orders", "Order Cancelled", 500),
            entry("petstore.payments", "Order Placed", 500),
            entry("petstore.orders", "Order Placed", 120),
        ]
    )

    [event] = wait_until(lambda: audited(cloud), what="the large order's event")
    wait_until(lambda: nothing_in_flight(cloud), what="every delivery handled")
    assert audited(cloud) == [event]
    assert event["source"] == "petstore.orders"
    assert event["detail-type"] == "Order Placed"
    assert event["detail"] == {"orderId": "o-120", "total": 120}
    assert event["region"] == "us-east-1"
    assert cloud.stack is not None
    assert event["account"] == cloud.stack.account_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    assert {"version", "id", "resources"} <= set(event)
