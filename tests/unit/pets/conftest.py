"""Fixtures of the pets unit tests: the pets table (created from template.yaml's
PetsTable inside moto's in-process mock), REST API (v1) proxy events, and a Lambda
context."""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections.abc import Callable, Iterator
from functools import partial
from types import ModuleType
from typing import Any

import pytest
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from pets.dal.inventory_holds import inventory_holds_from_environment
from pets.dal.pets_table import pets_table_from_environment
from pets.dal.stock_reservations import stock_reservations_from_environment
from pets.logic.create_pet import create_pet
from pets.models import Pet, PetDetails
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.settings import load_settings
from support.in_process_saga import create_table, resources_of_type
from support.rest_api_invocation import ApiAnswer, call_api, rest_api_event

TEST_TABLE_NAME = "pets-unit-test"

ALICE_CLAIMS = {
    "sub": "5f1c0a8e-alice",
    "cognito:username": "alice",
    "email": "alice@example.com",
}
ADMIN_CLAIMS = {
    "sub": "9b2d4c7f-admin",
    "cognito:username": "admin",
    "email": "admin@example.com",
    "cognito:groups": "admin",
}
CLAIMS_BY_CALLER: dict[str, dict[str, str] | None] = {
    "anonymous": None,
    "alice": ALICE_CLAIMS,
    "admin": ADMIN_CLAIMS,
}


def forget_cold_start_state() -> None:
    """Each test starts as a fresh execution environment would: settings are read again.
    The DynamoDB client is kept: moto intercepts any client while its mock is active."""
    load_settings.cache_clear()
    pets_table_from_environment.cache_clear()
    stock_reservations_from_environment.cache_clear()
    inventory_holds_from_environment.cache_clear()


@pytest.fixture
def template_pets_table() -> dict[str, Any]:
    """The Properties of template.yaml's PetsTable resource."""
    return resources_of_type("AWS::DynamoDB::Table")["PetsTable"]


@pytest.fixture
def pets_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty pets table in moto, and the environment the pets functions read it from."""
    monkeypatch.setenv("PETS_TABLE_NAME", TEST_TABLE_NAME)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "pets")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PetStore")
    with mock_aws():
        create_table("PetsTable", TEST_TABLE_NAME)
        forget_cold_start_state()
        yield TEST_TABLE_NAME
        forget_cold_start_state()


@pytest.fixture
def dynamodb_applies_requests_atomically(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto apply each DynamoDB request atomically, as DynamoDB does.

    moto is not thread-safe: a transaction deep-copies the whole table to roll back to,
    and concurrent requests corrupt that copy or overwrite each other's writes. Holding a
    lock per request restores DynamoDB's per-request atomicity while the callers' threads
    still interleave between requests, which is where the code under test could race.
    """
    lock = threading.Lock()
    call_action = DynamoHandler.call_action

    def call_action_atomically(handler: DynamoHandler) -> Any:
        with lock:
            return call_action(handler)

    monkeypatch.setattr(DynamoHandler, "call_action", call_action_atomically)


@pytest.fixture
def switch_to_new_pets_table(pets_table: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[], str]:
    """Creates another empty pets table and points the pets functions at it, for tests
    (such as hypothesis examples) that need a clean table more than once."""
    created = itertools.count(1)

    def switch() -> str:
        table_name = f"{TEST_TABLE_NAME}-{next(created)}"
        create_table("PetsTable", table_name)
        monkeypatch.setenv("PETS_TABLE_NAME", table_name)
        forget_cold_start_state()
        return table_name

    return switch


def read_stored_item(pk: str, sk: str) -> dict[str, Any] | None:
    response = dynamodb_client().get_item(
        TableName=os.environ["PETS_TABLE_NAME"],
        Key={"pk": {"S": pk}, "sk": {"S": sk}},
        ConsistentRead=True,
    )
    item: dict[str, Any] | None = response.get("Item")
    return item


def read_stored_stock(pet_id: str) -> int:
    item = read_stored_item(f"PET#{pet_id}", "PET")
    assert item is not None, f"pet {pet_id} has no item"
    return int(item["stock"]["N"])


@pytest.fixture
def stored_item(pets_table: str) -> Callable[[str, str], dict[str, Any] | None]:
    """The raw item under (pk, sk), read straight from the table."""
    return read_stored_item


@pytest.fixture
def stored_stock(pets_table: str) -> Callable[[str], int]:
    """The `stock` attribute of a pet's item, read straight from the table."""
    return read_stored_stock


def build_rest_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    caller: str = "anonymous",
    query: dict[str, str] | None = None,
    body: Any = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API (v1) proxy event as API Gateway sends it, for `caller` ("anonymous",
    "alice" or "admin"). `body` is sent as JSON; `raw_body` is sent as is."""
    return rest_api_event(
        method,
        path,
        claims=CLAIMS_BY_CALLER[caller],
        resource=resource,
        query=query,
        body=raw_body if raw_body is not None else (None if body is None else json.dumps(body)),
        headers=headers,
    )


@pytest.fixture
def rest_event() -> Callable[..., dict[str, Any]]:
    """Builds REST API (v1) proxy events; see `build_rest_event`."""
    return build_rest_event


Invoke = Callable[[ModuleType, dict[str, Any]], ApiAnswer]


@pytest.fixture
def invoke() -> Invoke:
    """Call a handler module's `lambda_handler` with an event, as Lambda would."""
    return partial(call_api, function_name="pets-unit-test")


@pytest.fixture
def pet_body() -> dict[str, Any]:
    """A valid POST /pets body, fresh for each test."""
    return {
        "name": "Rex",
        "species": "dog",
        "price": {"amount": "249.99", "currency": "EUR"},
        "stock": 10,
        "description": "A friendly beagle.",
        "tags": ["beagle", "puppy"],
    }


@pytest.fixture
def add_pet(pets_table: str) -> Callable[..., Pet]:
    """Adds a pet through the create use case (for tests about other routes)."""

    def add(**details: Any) -> Pet:
        described = {
            "name": "Rex",
            "species": "dog",
            "price": {"amount": "100.00", "currency": "EUR"},
            "stock": 10,
        }
        described.update(details)
        return create_pet(PetDetails.model_validate(described))

    return add
