"""AWS clients, created lazily and reused across invocations.

They are built from botocore directly: importing boto3 also imports s3transfer, which no
service here uses (about 25 ms, a tenth of the client's cold start, measured here).
botocore reads AWS_ENDPOINT_URL by itself, which is how the local cloud points clients at
its emulator.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient


@cache
def dynamodb_client() -> DynamoDBClient:
    return cast("DynamoDBClient", _create_client("dynamodb"))


@cache
def sns_client() -> SNSClient:
    return cast("SNSClient", _create_client("sns"))


def _create_client(service_name: str) -> BaseClient:
    import botocore.session
    from botocore.config import Config

    session = botocore.session.get_session()
    config = Config(retries={"mode": "standard", "max_attempts": 5})
    return session.create_client(service_name, config=config)
