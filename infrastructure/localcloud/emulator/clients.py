"""boto3 clients for the emulator: the one place the local cloud makes them.

Creating a client costs ~10-100 ms of CPU, and the local cloud provisions and starts its
pollers again on every reset: clients are made once per emulator and kind of use, then
shared (boto3's clients are thread-safe once made; the session that makes them is not).
"""

from __future__ import annotations

import os
from threading import Lock
from typing import TYPE_CHECKING, Any, ClassVar

import boto3
from botocore.config import Config

from localcloud.emulator.process import LOCAL_CREDENTIALS

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

POLLER_CONFIG = Config(
    connect_timeout=2,
    read_timeout=30,
    # The pollers retry themselves, pacing the retries to keep stop() prompt.
    retries={"total_max_attempts": 1},
    # Every poller thread may hold a connection (an SQS mapping has several).
    max_pool_connections=64,
)


class EmulatorClients:
    """The clients of one emulator endpoint and region, created on first use."""

    _shared: ClassVar[dict[tuple[str, str, str], EmulatorClients]] = {}
    _sharing = Lock()

    def __init__(self, endpoint_url: str, region: str, config: Config | None = None) -> None:
        self.endpoint_url = endpoint_url
        self._session = boto3.session.Session(region_name=region)
        self._config = config
        self._clients: dict[str, Any] = {}
        self._creating = Lock()

    @classmethod
    def for_emulator(cls, endpoint_url: str, region: str) -> EmulatorClients:
        """Clients with botocore's own retries, for provisioning and monitoring."""
        return cls._shared_for(endpoint_url, region, "calls")

    @classmethod
    def for_pollers(cls, endpoint_url: str, region: str) -> EmulatorClients:
        """Clients that try once and time out soon, for pollers that pace their own retries."""
        return cls._shared_for(endpoint_url, region, "pollers")

    @classmethod
    def _shared_for(cls, endpoint_url: str, region: str, use: str) -> EmulatorClients:
        with cls._sharing:
            key = (endpoint_url, region, use)
            if key not in cls._shared:
                config = POLLER_CONFIG if use == "pollers" else None
                cls._shared[key] = cls(endpoint_url, region, config)
            return cls._shared[key]

    def client(self, service: str) -> Any:
        with self._creating:
            if service not in self._clients:
                self._clients[service] = self._session.client(  # type: ignore[call-overload]
                    service,
                    endpoint_url=self.endpoint_url,
                    config=self._config,
                    **_credentials(self._session),
                )
            return self._clients[service]

    def dynamodb(self) -> DynamoDBClient:
        return self.client("dynamodb")

    def dynamodbstreams(self) -> DynamoDBStreamsClient:
        return self.client("dynamodbstreams")

    def sqs(self) -> SQSClient:
        return self.client("sqs")

    def sns(self) -> SNSClient:
        return self.client("sns")

    def cognito(self) -> CognitoIdentityProviderClient:
        return self.client("cognito-idp")

    def cloudwatch(self) -> CloudWatchClient:
        return self.client("cloudwatch")

    def logs(self) -> Any:
        return self.client("logs")


def _credentials(session: boto3.session.Session) -> dict[str, str]:
    """The embedded emulator takes only this run's credentials; an external one
    (`AWS_ENDPOINT_URL`) those of the environment, if it has any."""
    if os.environ.get("AWS_ENDPOINT_URL") and session.get_credentials() is not None:
        return {}
    return {
        "aws_access_key_id": LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }
