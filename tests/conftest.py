"""Fixtures shared by every test tier."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from localcloud.emulator import LOCAL_CREDENTIALS, Emulator, free_port, start_emulator
from petstore_cli.demo_users import create_demo_users, id_token

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud
    from support.api_client import ApiClient

PROJECT_ROOT = Path(__file__).resolve().parent.parent

os.environ.update(LOCAL_CREDENTIALS)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """moto's server on a free port, shared by the whole test session."""
    started = start_emulator(port=free_port())
    yield started
    started.stop()


@pytest.fixture(scope="session")
def local_cloud() -> Iterator[LocalCloud]:
    """The whole system from template.yaml on free ports, started once per test
    session. Consumer queues hide a message for 2 s and dead-letter it after 3
    receives, so redelivery and DLQ paths finish within a test."""
    from localcloud.cloud import LocalCloud, LocalCloudConfig

    cloud = LocalCloud(
        LocalCloudConfig(
            template=PROJECT_ROOT / "template.yaml",
            stack_name="petstore",
            api_port=free_port(),
            emulator_port=free_port(),
            parameter_overrides={"ConsumerVisibilityTimeout": "2", "ConsumerMaxReceiveCount": "3"},
            quiet=True,
        )
    )
    cloud.start()
    yield cloud
    cloud.stop()


@dataclass(frozen=True)
class PetStore:
    """The running system, reset for one test, with a client per demo user."""

    cloud: LocalCloud
    anonymous: ApiClient
    alice: ApiClient
    bob: ApiClient
    admin: ApiClient

    def outputs(self, name: str) -> str:
        assert self.cloud.stack is not None
        return self.cloud.stack.outputs[name]


@pytest.fixture
def petstore(local_cloud: LocalCloud) -> PetStore:
    from support.api_client import ApiClient

    local_cloud.reset()
    stack = local_cloud.stack
    assert stack is not None
    cognito = boto3.client("cognito-idp", endpoint_url=local_cloud.endpoint_url)
    pool_id, client_id = stack.outputs["UserPoolId"], stack.outputs["UserPoolClientId"]
    create_demo_users(cognito, pool_id)

    def client(user: str | None) -> ApiClient:
        token = id_token(cognito, pool_id, client_id, user) if user else None
        return ApiClient(local_cloud.api_url, stack.region, token)

    return PetStore(local_cloud, client(None), client("alice"), client("bob"), client("admin"))
