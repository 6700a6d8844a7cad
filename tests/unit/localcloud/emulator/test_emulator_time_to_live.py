"""DynamoDB Time to Live in the emulator: an item whose TTL attribute (a Number of epoch
seconds) has passed is deleted, with a REMOVE stream record that names DynamoDB's TTL
service as its `userIdentity`; anything else stays, as AWS documents."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from localcloud.emulator.patches import time_to_live

REGION = "us-east-1"
NOW = 1_800_000_000
DAY = 24 * 3600


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(time_to_live, "clock", lambda: float(NOW))
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def make_table(dynamodb: Any, name: str = "orders", *, ttl: bool = True) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    if ttl:
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": "expiration", "Enabled": True},
        )


def put(dynamodb: Any, sk: str, expiration: dict[str, str] | None, table: str = "orders") -> None:
    item = {"pk": {"S": "OUTBOX#1"}, "sk": {"S": sk}}
    if expiration is not None:
        item["expiration"] = expiration
    dynamodb.put_item(TableName=table, Item=item)


def keys_left(dynamodb: Any, table: str = "orders") -> list[str]:
    return sorted(item["sk"]["S"] for item in dynamodb.scan(TableName=table)["Items"])


def stream_records(table: str = "orders") -> list[dict[str, Any]]:
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    return [record.to_json() for record in backend.get_table(table).stream_shard.items]


def test_items_whose_time_has_passed_are_deleted_and_the_rest_stay(dynamodb: Any) -> None:
    make_table(dynamodb)
    put(dynamodb, "expired", {"N": str(NOW - 60)})
    put(dynamodb, "expires-now", {"N": str(NOW)})
    put(dynamodb, "expired-fractional", {"N": f"{NOW - 1}.5"})
    put(dynamodb, "later", {"N": str(NOW + 60)})
    put(dynamodb, "no-ttl", None)
    put(dynamodb, "ttl-as-text", {"S": str(NOW - 60)})
    put(dynamodb, "over-five-years-ago", {"N": str(NOW - 6 * 365 * DAY)})
    put(dynamodb, "in-milliseconds", {"N": str((NOW + 60) * 1000)})

    deleted = time_to_live.delete_expired()

    assert deleted == 3
    assert keys_left(dynamodb) == [
        "in-milliseconds",
        "later",
        "no-ttl",
        "over-five-years-ago",
        "ttl-as-text",
    ]


def test_a_ttl_deletion_streams_a_remove_record_naming_dynamodb_as_who_deleted(
    dynamodb: Any,
) -> None:
    make_table(dynamodb)
    put(dynamodb, "expired", {"N": str(NOW - 60)})
    put(dynamodb, "deleted-by-a-user", {"N": str(NOW + 60)})
    dynamodb.delete_item(
        TableName="orders", Key={"pk": {"S": "OUTBOX#1"}, "sk": {"S": "deleted-by-a-user"}}
    )

    time_to_live.delete_expired()

    removes = [record for record in stream_records() if record["eventName"] == "REMOVE"]
    by_key = {record["dynamodb"]["Keys"]["sk"]["S"]: record for record in removes}
    assert by_key["expired"]["userIdentity"] == {
        "type": "Service",
        "principalId": "dynamodb.amazonaws.com",
    }
    assert by_key["expired"]["dynamodb"]["OldImage"]["expiration"] == {"N": str(NOW - 60)}
    assert "userIdentity" not in by_key["deleted-by-a-user"]


def test_a_table_without_ttl_enabled_keeps_its_expired_items(dynamodb: Any) -> None:
    make_table(dynamodb, "payments", ttl=False)
    put(dynamodb, "expired", {"N": str(NOW - 60)}, table="payments")
    make_table(dynamodb, "turned-off")
    dynamodb.update_time_to_live(
        TableName="turned-off",
        TimeToLiveSpecification={"AttributeName": "expiration", "Enabled": False},
    )
    put(dynamodb, "expired", {"N": str(NOW - 60)}, table="turned-off")

    assert time_to_live.delete_expired() == 0
    assert keys_left(dynamodb, "payments") == ["expired"]
    assert keys_left(dynamodb, "turned-off") == ["expired"]


def test_a_big_table_is_swept_in_turns_each_going_on_where_the_last_stopped(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sweep looks at SWEEP_BUDGET items at most; deleting some does not make the next
    sweep skip any, and after the end it starts over."""
    monkeypatch.setattr(time_to_live, "SWEEP_BUDGET", 3)
    make_table(dynamodb)
    kinds = ["expired", "expired", "later", "expired", "later", "expired", "expired", "later"]
    for number, kind in enumerate(kinds):
        put(dynamodb, f"{number}-{kind}", {"N": str(NOW - 60 if kind == "expired" else NOW + 60)})

    deleted = [time_to_live.delete_expired() for _ in range(4)]

    # Items 0-2, then 3-5, then 6-7 (the end), then from the start again: none left.
    assert deleted == [2, 2, 1, 0]
    assert keys_left(dynamodb) == ["2-later", "4-later", "7-later"]

    # The last sweep looked at three items (all there are): the next goes on after them.
    put(dynamodb, "8-expired", {"N": str(NOW - 60)})
    assert [time_to_live.delete_expired() for _ in range(2)] == [1, 0]


class RecordingLock:
    """A lock that says whether it is held."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.held = False

    def __enter__(self) -> None:
        self._lock.acquire()
        self.held = True

    def __exit__(self, *_: object) -> None:
        self.held = False
        self._lock.release()


def test_the_sweeps_run_in_the_background_holding_the_dynamodb_lock(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_table(dynamodb)
    put(dynamodb, "expired", {"N": str(NOW - 60)})
    quiet = RecordingLock()
    held_while_sweeping: list[bool] = []
    sweep = time_to_live.delete_expired

    def recorded_sweep() -> int:
        held_while_sweeping.append(quiet.held)
        return sweep()

    monkeypatch.setattr(time_to_live, "delete_expired", recorded_sweep)
    sweeps = time_to_live.expired_item_sweeps(quiet, every_s=0.01)  # type: ignore[arg-type]
    sweeps.start()
    try:
        deleted = threading.Event()
        for _ in range(500):
            with quiet:  # moto's tables are not for two threads at once
                left = keys_left(dynamodb)
            if not left:
                deleted.set()
                break
            deleted.wait(0.01)
    finally:
        sweeps.stop()

    assert deleted.is_set(), "the expired item was not deleted within 5 s"
    assert held_while_sweeping and all(held_while_sweeping)
