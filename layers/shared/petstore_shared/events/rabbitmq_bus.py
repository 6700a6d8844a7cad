"""The RabbitMQ adapter of the event bus (Amazon MQ for RabbitMQ, or the local cloud's
broker): every event goes to one durable topic exchange with its type as the routing key
(`order.placed`), so each consumer's queue, bound by the event types it handles, gets
what an SNS filter policy would give it.

Messages are persistent, and every publish waits for the broker's confirm: a publish
that is not confirmed raises, and the caller's retry (the outbox stream, the consumer's
redelivery) publishes it again, as with SNS. The connection and its channel are kept
for the execution environment's later invocations and made again when the broker
closed them (a frozen environment misses its heartbeats).

Where the broker is comes from the environment: `RABBITMQ_URL` as is (the local cloud's
broker, or any broker a developer points at), else the broker's AMQPS endpoint
`RABBITMQ_AMQP_ENDPOINT` with the user and password of the Secrets Manager secret
`RABBITMQ_SECRET_ARN` (Amazon MQ's broker user, as Lambda's MQ event source reads it).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from functools import cache
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from pydantic import Field

from petstore_shared.events.envelope import Event
from petstore_shared.settings import EnvironmentSettings, load_settings

CONFIRM_TIMEOUT_S = 5.0
"""Well inside the functions' 10 s timeout: a broker that is down fails the publish, not
the whole invocation."""
PERSISTENT = 2


class Channel(Protocol):
    """What the bus needs of a pika BlockingChannel in confirm mode."""

    @property
    def is_open(self) -> bool: ...

    def basic_publish(
        self, exchange: str, routing_key: str, body: bytes, properties: Any = None
    ) -> None: ...


class EventNotPublished(Exception):
    def __init__(self, exchange: str, reason: str) -> None:
        super().__init__(f"The event was not published to RabbitMQ exchange {exchange!r}: {reason}")


class RabbitMQNotConfigured(Exception):
    def __init__(self, missing: str) -> None:
        super().__init__(
            f"This function has no RabbitMQ broker: {missing}. Set RABBITMQ_URL, or "
            "RABBITMQ_AMQP_ENDPOINT and RABBITMQ_SECRET_ARN."
        )


class RabbitMQSettings(EnvironmentSettings):
    url: str | None = Field(default=None, alias="RABBITMQ_URL")
    amqp_endpoint: str | None = Field(default=None, alias="RABBITMQ_AMQP_ENDPOINT")
    secret_arn: str | None = Field(default=None, alias="RABBITMQ_SECRET_ARN")
    virtual_host: str = Field(default="/", alias="RABBITMQ_VIRTUAL_HOST")
    exchange: str | None = Field(default=None, alias="EVENTS_EXCHANGE_NAME")


class RabbitMQEventBus:
    def __init__(self, open_channel: Callable[[], Channel], exchange: str) -> None:
        self._open_channel = open_channel
        self._exchange = exchange
        self._channel: Channel | None = None
        # One channel per execution environment; a consumer may publish from threads.
        self._lock = threading.Lock()

    def publish(self, event: Event[Any]) -> None:
        from pika import BasicProperties

        properties = BasicProperties(
            content_type="application/json",
            delivery_mode=PERSISTENT,
            message_id=event.id,
            correlation_id=event.correlation_id,
            type=event.type,
            timestamp=int(time.time()),
            headers={"version": str(event.version)},
        )
        body = event.to_json().encode()
        with self._lock:
            try:
                self._publish(event.type, body, properties)
            except EventNotPublished:
                raise
            except Exception as error:
                # The connection was closed under it: once more, on a new one.
                self._channel = None
                try:
                    self._publish(event.type, body, properties)
                except Exception as again:
                    self._channel = None
                    raise EventNotPublished(self._exchange, _reason(again)) from error

    def _publish(self, routing_key: str, body: bytes, properties: Any) -> None:
        from pika.exceptions import NackError, UnroutableError

        if self._channel is None or not self._channel.is_open:
            self._channel = self._open_channel()
        try:
            self._channel.basic_publish(self._exchange, routing_key, body, properties)
        except (NackError, UnroutableError) as error:
            raise EventNotPublished(self._exchange, f"the broker refused it ({error})") from None


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def broker_url(settings: RabbitMQSettings) -> str:
    """The AMQP URL of the broker the environment names, with its user and password."""
    if settings.url:
        return settings.url
    if not settings.amqp_endpoint:
        raise RabbitMQNotConfigured("no RABBITMQ_URL or RABBITMQ_AMQP_ENDPOINT")
    if not settings.secret_arn:
        raise RabbitMQNotConfigured("no RABBITMQ_SECRET_ARN for RABBITMQ_AMQP_ENDPOINT")
    username, password = broker_user(settings.secret_arn)
    endpoint = urlsplit(settings.amqp_endpoint)
    credentials = f"{quote(username, safe='')}:{quote(password, safe='')}"
    vhost = quote(settings.virtual_host, safe="")
    return f"{endpoint.scheme}://{credentials}@{endpoint.netloc}/{vhost}"


def broker_user(secret_arn: str) -> tuple[str, str]:
    """The `username` and `password` of the broker's secret (Amazon MQ's format, the one
    Lambda's BASIC_AUTH source access configuration reads)."""
    from petstore_shared.aws_clients import secretsmanager_client

    secrets: Any = secretsmanager_client()
    secret = secrets.get_secret_value(SecretId=secret_arn)["SecretString"]
    document = json.loads(secret)
    return str(document["username"]), str(document["password"])


def confirming_channel(url: str) -> Channel:
    """A new connection's channel, with publisher confirms on."""
    import pika

    parameters = pika.URLParameters(url)
    parameters.socket_timeout = CONFIRM_TIMEOUT_S
    parameters.blocked_connection_timeout = CONFIRM_TIMEOUT_S
    parameters.stack_timeout = CONFIRM_TIMEOUT_S
    parameters.connection_attempts = 1
    channel = pika.BlockingConnection(parameters).channel()
    channel.confirm_delivery()
    confirming: Channel = channel
    return confirming


@cache
def rabbitmq_event_bus_from_environment() -> RabbitMQEventBus:
    settings = load_settings(RabbitMQSettings)
    if not settings.exchange:
        raise RabbitMQNotConfigured("no EVENTS_EXCHANGE_NAME")
    return RabbitMQEventBus(lambda: confirming_channel(broker_url(settings)), settings.exchange)
