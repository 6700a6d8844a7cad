"""AWS clients, created lazily and reused across invocations.

They are built from botocore directly: importing boto3 also imports s3transfer, which no
service here uses (about 25 ms, a tenth of the client's cold start, measured here).
botocore reads AWS_ENDPOINT_URL by itself, which is how the local cloud points clients at
its emulator.

The process's one session is made at import, with the data from botocore every function's
clients read (the endpoint and partition data, the list of services, DynamoDB's model): in
the init phase, so in a SnapStart snapshot; and locally once for all the functions of the
layer, in the preload their snapshots are forked from.

Under SnapStart, the connections a client opened during init are closed before the
snapshot is taken: execution environments restored from it open their own (the clients
themselves stay, and reconnect on their next call).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from snapshot_restore_py import register_before_snapshot

import petstore_shared.snapstart  # noqa: F401  (its hooks apply to every function)

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.session import Session
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 2.0
MAX_ATTEMPTS = 3
"""A store that is down or hung fails a call within MAX_ATTEMPTS * (CONNECT_TIMEOUT_S +
READ_TIMEOUT_S), 9 s, inside the functions' 10 s timeout: the API answers 503 instead of
the function being killed (botocore's default 60 s timeouts would hang until then)."""


@cache
def dynamodb_client() -> DynamoDBClient:
    return cast("DynamoDBClient", _create_client("dynamodb"))


@cache
def sns_client() -> SNSClient:
    return cast("SNSClient", _create_client("sns"))


@cache
def sqs_client() -> SQSClient:
    return cast("SQSClient", _create_client("sqs"))


@cache
def cognito_client() -> CognitoIdentityProviderClient:
    return cast("CognitoIdentityProviderClient", _create_client("cognito-idp"))


@cache
def sesv2_client() -> BaseClient:
    """Amazon SES (v2 API), for the notifications' e-mail."""
    return _create_client("sesv2")


@cache
def kafka_client() -> BaseClient:
    """Amazon MSK's control plane (where a cluster's brokers are), for the Kafka bus on AWS."""
    return _create_client("kafka")


@cache
def secretsmanager_client() -> BaseClient:
    return _create_client("secretsmanager")


CLIENT_FACTORIES = (
    dynamodb_client,
    sns_client,
    sqs_client,
    cognito_client,
    sesv2_client,
    kafka_client,
    secretsmanager_client,
)


@register_before_snapshot
def close_connections() -> None:
    """Closes the connection pools of the clients made so far."""
    for factory in CLIENT_FACTORIES:
        if factory.cache_info().currsize:
            cast("BaseClient", factory()).close()


PRIMED_TABLE = "snapshot-priming"
"""Named in the primed calls, which never leave the process."""
PRIMED_KEY = {"id": {"S": "priming"}}
PRIMED_CALLS: tuple[tuple[str, dict[str, Any], dict[str, Any]], ...] = (
    ("get_item", {"TableName": PRIMED_TABLE, "Key": PRIMED_KEY}, {}),
    (
        "query",
        {
            "TableName": PRIMED_TABLE,
            "KeyConditionExpression": "id = :id",
            "ExpressionAttributeValues": {":id": {"S": "priming"}},
        },
        {"Items": []},
    ),
    ("put_item", {"TableName": PRIMED_TABLE, "Item": PRIMED_KEY}, {}),
    (
        "update_item",
        {"TableName": PRIMED_TABLE, "Key": PRIMED_KEY, "UpdateExpression": "REMOVE other"},
        {},
    ),
    (
        "transact_write_items",
        {"TransactItems": [{"Put": {"TableName": PRIMED_TABLE, "Item": PRIMED_KEY}}]},
        {},
    ),
)
"""The item operations the functions use, each made once with a canned answer."""


@register_before_snapshot
def prime_dynamodb_client() -> None:
    """Every function reads or writes a table: its client (loading DynamoDB's service
    model, a quarter of a second) is made before the snapshot rather than on the first
    call of every restored environment. Registered after `close_connections`, so it runs
    first: the client it makes has no connection yet, and none is left open."""
    prime_calls(dynamodb_client(), PRIMED_CALLS)


def prime_calls(
    client: BaseClient, calls: tuple[tuple[str, dict[str, Any], dict[str, Any]], ...]
) -> None:
    """Makes each call once against botocore's Stubber, which answers in-process, as AWS
    advises for SnapStart: what botocore builds on an operation's first call (its
    validation, serializer and endpoint resolution) is then in the snapshot (a restored
    environment's first DynamoDB call measured 5 ms faster)."""
    from botocore.stub import Stubber

    with Stubber(client) as stubber:
        for operation, parameters, answer in calls:
            stubber.add_response(operation, answer, parameters)
            getattr(client, operation)(**parameters)


def made_before_snapshot(*factories: Callable[[], object]) -> None:
    """Under SnapStart, what these factories make (clients, or the adapters holding them)
    is made in the init phase, before the snapshot, instead of on the first call of every
    restored environment: a service's first client loads its model (an SNS or SQS client
    made on a restored worker's first invocation took 0.15-0.3 s of it). Only for
    factories that open no connection. Called at a handler module's import: its hook,
    registered after this module's, runs before `close_connections`."""

    def make() -> None:
        for factory in factories:
            factory()

    register_before_snapshot(make)


@cache
def _session() -> Session:
    """The one botocore session every client of the process is made from. A session reads
    botocore's data afresh (the list of every service from disk, twice per client, ~45 ms
    each time; the endpoint and partition data): a notifications consumer, which makes
    four clients, spent 0.34 s of its init listing services, one session per client."""
    import botocore.session

    return botocore.session.get_session()


def _load_shared_data(session: Session) -> None:
    """Reads what every client of every function reads from botocore's data, in the calls
    a client's creation makes (botocore keeps them per call): the list of services, the
    endpoint, partition and defaults data, and DynamoDB's model and endpoint rules (every
    function reads or writes a table)."""
    loader = session.get_component("data_loader")
    for name in ("endpoints", "partitions", "sdk-default-configuration"):
        loader.load_data_with_path(name)
    for type_name in ("service-2", "endpoint-rule-set-1"):
        loader.load_service_model("dynamodb", type_name, api_version=None)


_load_shared_data(_session())

_SESSION_IN_USE = threading.Lock()
"""A botocore session is not thread-safe; a consumer may make a client from its threads."""


def _create_client(service_name: str) -> BaseClient:
    from botocore.config import Config

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    )
    with _SESSION_IN_USE:
        return _session().create_client(service_name, config=config)
