"""The emulator's saved state (`--state DIR`) brings back what moto held: items, queued
messages, user pools with their users' ids and their own signing keys."""

from __future__ import annotations

import pickle
from pathlib import Path

import boto3
import pytest
from joserfc import jwk
from moto import mock_aws
from moto.cognitoidp.models import cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID

from localcloud.emulator.saved_state import load, save
from localcloud.emulator.state_folder import STATE_FILE, SavedStateError

REGION = "us-east-1"


def _fill_emulator() -> dict[str, str]:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="pets",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="pets", Item={"id": {"S": "p1"}, "name": {"S": "Rex"}})
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="events")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="order.placed")
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_id = cognito.create_user_pool(PoolName="shoppers")["UserPool"]["Id"]
    user = cognito.admin_create_user(UserPoolId=pool_id, Username="alice")["User"]
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[pool_id]
    pool.json_web_key = jwk.RSAKey.generate_key(2048, parameters={"kid": "own", "alg": "RS256"})
    return {
        "queue_url": queue_url,
        "pool_id": pool_id,
        "sub": sub,
        "key": pool.json_web_key.as_dict(private=True)["d"],
    }


def test_a_saved_emulator_comes_back_with_items_messages_users_and_keys(tmp_path: Path) -> None:
    with mock_aws():
        before = _fill_emulator()
        save(tmp_path)

    with mock_aws():
        loaded = load(tmp_path)
        item = boto3.client("dynamodb", region_name=REGION).get_item(
            TableName="pets", Key={"id": {"S": "p1"}}
        )["Item"]
        messages = boto3.client("sqs", region_name=REGION).receive_message(
            QueueUrl=before["queue_url"]
        )["Messages"]
        user = boto3.client("cognito-idp", region_name=REGION).admin_get_user(
            UserPoolId=before["pool_id"], Username="alice"
        )
        pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[before["pool_id"]]

    assert loaded
    assert item["name"] == {"S": "Rex"}
    assert [m["Body"] for m in messages] == ["order.placed"]
    assert {"Name": "sub", "Value": before["sub"]} in user["UserAttributes"]
    assert pool.json_web_key.as_dict(private=True)["d"] == before["key"]


def test_no_saved_state_loads_nothing(tmp_path: Path) -> None:
    with mock_aws():
        assert load(tmp_path) is False


def test_a_state_of_another_moto_version_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    path.write_bytes(
        pickle.dumps({"format": 1, "moto": "0.0.1", "python": (3, 13), "backends": []})
    )

    with mock_aws(), pytest.raises(SavedStateError, match=r"written by moto 0\.0\.1"):
        load(tmp_path)

    assert path.exists()
