"""moto's record of the model objects it makes holds them weakly in the emulator: the
copies of items made to answer reads are freed (moto kept every one for as long as it
ran), while the data dump still finds every object alive."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.common_models import BaseModel
from moto.core.model_instances import reset_model_data
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.logs.models import LogEvent

from localcloud.emulator.patches import model_instances
from localcloud.emulator.patches.model_instances import COMPACT_AT, LiveInstances

REGION = "us-east-1"
READS = 150


@pytest.fixture
def patched() -> Iterator[None]:
    model_instances.install()
    try:
        yield
    finally:
        BaseModel.__new__ = staticmethod(model_instances.MOTO_NEW)  # type: ignore[method-assign]
        reset_model_data()


@pytest.fixture
def pets_table(patched: None) -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName="pets",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        dynamodb.put_item(TableName="pets", Item={"pk": {"S": "PET#1"}, "name": {"S": "Rex"}})
        yield dynamodb


def live_items() -> list[Item]:
    gc.collect()
    return list(Item.instances_tracked)  # type: ignore[attr-defined]


def test_the_copies_made_to_answer_reads_are_freed(pets_table: Any) -> None:
    for _ in range(READS):
        pets_table.get_item(TableName="pets", Key={"pk": {"S": "PET#1"}})
        pets_table.query(
            TableName="pets",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "PET#1"}},
        )

    # moto kept all 2 x 150 copies (and the item put): here only what is alive is held
    assert len(live_items()) < 10


def test_the_record_still_lists_every_stored_item(pets_table: Any) -> None:
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table("pets")
    stored = list(table.all_items())
    live = live_items()

    assert len(stored) == 1
    assert all(any(item is kept for kept in live) for item in stored)


def test_a_model_object_no_longer_used_is_freed(patched: None) -> None:
    item = Item(DynamoType({"S": "PET#2"}), None, {"pk": {"S": "PET#2"}})
    freed = weakref.ref(item)

    del item
    gc.collect()

    assert freed() is None


class Thing:
    pass


def test_dead_references_are_dropped_as_they_pile_up() -> None:
    record = LiveInstances()
    kept = [Thing() for _ in range(10)]
    for thing in kept:
        record.append(thing)
    for _ in range(10 * COMPACT_AT):
        record.append(Thing())  # freed at once

    assert len(record) <= 2 * COMPACT_AT + len(kept) + 1
    assert list(record) == kept


def test_log_events_are_not_listed(patched: None) -> None:
    with mock_aws():
        logs = boto3.client("logs", region_name=REGION)
        logs.create_log_group(logGroupName="/aws/lambda/pets")
        logs.create_log_stream(logGroupName="/aws/lambda/pets", logStreamName="a")
        now_ms = int(time.time() * 1000)
        logs.put_log_events(
            logGroupName="/aws/lambda/pets",
            logStreamName="a",
            logEvents=[{"timestamp": now_ms + n, "message": f"{n}"} for n in range(5)],
        )
        events = logs.get_log_events(logGroupName="/aws/lambda/pets", logStreamName="a")

    assert len(events["events"]) == 5
    assert list(LogEvent.instances_tracked) == []  # type: ignore[attr-defined]
