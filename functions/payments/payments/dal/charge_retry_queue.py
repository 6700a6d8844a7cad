"""The charge-retry port on an SQS queue with a delay per message (in both transports:
Kafka has no delayed delivery). The payments consumer reads the queue as well as its
topic."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from payments.settings import ChargeRetrySettings
from petstore_shared.aws_clients import sqs_client
from petstore_shared.events.envelope import Event
from petstore_shared.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_DELAY_S = 900
"""SQS delays a message by at most 15 minutes."""


class ChargeRetryQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send_later(self, event: Event[Any], delay_s: int) -> None:
        self._client.send_message(
            QueueUrl=self._queue_url,
            MessageBody=event.to_json(),
            DelaySeconds=min(max(delay_s, 0), MAX_DELAY_S),
            MessageAttributes={"type": {"DataType": "String", "StringValue": event.type}},
        )


@cache
def charge_retry_queue_from_environment() -> ChargeRetryQueue:
    settings = load_settings(ChargeRetrySettings)
    return ChargeRetryQueue(sqs_client(), settings.charge_retries_queue_url)
