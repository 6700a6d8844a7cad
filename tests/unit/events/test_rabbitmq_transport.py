"""The RabbitMQ transport in the services' code: the bus publishes each event to the
exchange routed by its type, persistent and confirmed, on a channel kept between
invocations and made again when closed; consumers read the envelope from an `aws:rmq`
message, and a batch with a failed message fails whole (Amazon MQ has no partial batch
response) while its other messages take effect once."""

from __future__ import annotations

import base64
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from pika.exceptions import NackError, StreamLostError

from localcloud.event_sources.rabbitmq.events import RabbitMQMessage, rmq_event
from localcloud.event_sources.rabbitmq.mapping import RabbitMQMapping
from petstore_shared.events import rabbitmq_bus
from petstore_shared.events.bus import event_bus_from_environment
from petstore_shared.events.catalog import Money, OrderCancelled, PaymentRefunded
from petstore_shared.events.consumer import BatchFailed
from petstore_shared.events.envelope import new_event
from petstore_shared.events.rabbitmq_bus import (
    EventNotPublished,
    RabbitMQEventBus,
    RabbitMQNotConfigured,
    RabbitMQSettings,
    broker_url,
)
from petstore_shared.events.records import body_digest, event_from_rmq_message, rmq_message_id
from petstore_shared.events.registry import MalformedEvent
from petstore_shared.settings import load_settings
from support.in_process_saga import InProcessSaga
from support.rest_api_invocation import LambdaContextStub

CANCELLED = OrderCancelled(
    order_id="order-1", user_id="user-alice", pet_id="pet-1", quantity=1, previous_status="PENDING"
)
BROKER_ARN = "arn:aws:mq:us-east-1:123456789012:broker:petstore-events:b-1234"
MAPPING = RabbitMQMapping(function="F", queue="notifications-payment-events", broker_arn=BROKER_ARN)


class RecordingChannel:
    """A pika BlockingChannel in confirm mode, as the bus uses it."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.published: list[dict[str, Any]] = []
        self.failure = failure
        self.is_open = True

    def basic_publish(self, exchange: str, routing_key: str, body: bytes, properties: Any) -> None:
        if self.failure is not None:
            raise self.failure
        self.published.append(
            {
                "exchange": exchange,
                "routing_key": routing_key,
                "body": body,
                "properties": properties,
            }
        )


def test_an_event_goes_to_the_exchange_routed_by_its_type_persistent_and_named() -> None:
    channel = RecordingChannel()
    event = new_event(CANCELLED, source="test")

    RabbitMQEventBus(lambda: channel, "petstore-events").publish(event)

    [message] = channel.published
    assert (message["exchange"], message["routing_key"]) == ("petstore-events", "order.cancelled")
    assert json.loads(message["body"]) == json.loads(event.to_json())
    properties = message["properties"]
    assert properties.delivery_mode == 2
    assert (properties.message_id, properties.correlation_id) == (event.id, "order-1")
    assert properties.content_type == "application/json"


def test_the_channel_is_kept_between_publishes_and_made_again_once_closed() -> None:
    channels = [RecordingChannel(), RecordingChannel()]
    opened: list[RecordingChannel] = []

    def open_channel() -> RecordingChannel:
        opened.append(channels[len(opened)])
        return opened[-1]

    bus = RabbitMQEventBus(open_channel, "petstore-events")
    bus.publish(new_event(CANCELLED, source="test"))
    bus.publish(new_event(CANCELLED, source="test"))
    channels[0].failure = StreamLostError("connection reset")
    bus.publish(new_event(CANCELLED, source="test"))

    assert len(opened) == 2
    assert (len(channels[0].published), len(channels[1].published)) == (2, 1)


def test_a_publish_the_broker_does_not_confirm_raises_so_the_outbox_retries() -> None:
    channel = RecordingChannel(failure=NackError([]))

    with pytest.raises(EventNotPublished, match="'petstore-events': the broker refused it"):
        RabbitMQEventBus(lambda: channel, "petstore-events").publish(
            new_event(CANCELLED, source="test")
        )


def test_a_broker_that_stays_unreachable_fails_the_publish_naming_the_exchange() -> None:
    def unreachable() -> RecordingChannel:
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(EventNotPublished, match="ConnectionRefusedError: connection refused"):
        RabbitMQEventBus(unreachable, "petstore-events").publish(
            new_event(CANCELLED, source="test")
        )


def test_the_broker_url_comes_from_the_environment_or_the_brokers_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rabbitmq_bus, "broker_user", lambda arn: ("petstore", "p@ss/word"))
    on_aws = RabbitMQSettings.model_validate(
        {
            "RABBITMQ_AMQP_ENDPOINT": "amqps://b-1.mq.us-east-1.amazonaws.com:5671",
            "RABBITMQ_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:mq",
        }
    )
    local = RabbitMQSettings.model_validate({"RABBITMQ_URL": "amqp://u:p@127.0.0.1:5672/%2F"})

    assert (
        broker_url(on_aws)
        == "amqps://petstore:p%40ss%2Fword@b-1.mq.us-east-1.amazonaws.com:5671/%2F"
    )
    assert broker_url(local) == "amqp://u:p@127.0.0.1:5672/%2F"
    with pytest.raises(RabbitMQNotConfigured, match="RABBITMQ_SECRET_ARN"):
        broker_url(RabbitMQSettings.model_validate({"RABBITMQ_AMQP_ENDPOINT": "amqps://b:5671"}))


def test_the_environment_chooses_the_rabbitmq_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_TRANSPORT", "rabbitmq")
    monkeypatch.setenv("EVENTS_EXCHANGE_NAME", "petstore-events")
    monkeypatch.setenv("RABBITMQ_URL", "amqp://u:p@127.0.0.1:1/%2F")
    rabbitmq_bus.rabbitmq_event_bus_from_environment.cache_clear()
    try:
        assert isinstance(event_bus_from_environment(), RabbitMQEventBus)
    finally:
        rabbitmq_bus.rabbitmq_event_bus_from_environment.cache_clear()
    assert load_settings(RabbitMQSettings).exchange == "petstore-events"


def rmq_message(body: bytes, message_id: str | None = None, tag: int = 1) -> RabbitMQMessage:
    return RabbitMQMessage(
        delivery_tag=tag,
        body=body,
        redelivered=False,
        properties={"message_id": message_id, "delivery_mode": 2, "headers": {"version": "1"}},
    )


def test_an_rmq_message_carries_the_envelope_as_its_data() -> None:
    event = new_event(CANCELLED, source="petstore.orders")
    batch = rmq_event([rmq_message(event.to_json().encode(), event.id)], MAPPING)
    [message] = batch["rmqMessagesByQueue"]["notifications-payment-events::/"]

    assert batch["eventSource"] == "aws:rmq"
    assert batch["eventSourceArn"] == BROKER_ARN
    assert message["basicProperties"]["headers"] == {"version": {"bytes": [49]}}
    assert event_from_rmq_message(message) == event
    assert rmq_message_id(message) == event.id


@pytest.mark.parametrize(
    ("message", "complaint"),
    [
        ({"redelivered": False}, "has no data"),
        ({"data": "not base64!"}, "not base64"),
        ({"data": "//79"}, "not base64 of UTF-8"),
        ({"data": "bm90IGpzb24="}, "not JSON"),
    ],
)
def test_an_rmq_message_without_an_envelope_is_malformed(
    message: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(MalformedEvent, match=re.escape(complaint)):
        event_from_rmq_message(message)


def test_a_message_without_a_message_id_is_named_by_its_bodys_digest() -> None:
    body = b'{"type": "payment.refunded", "data": 42}'
    message = {"basicProperties": {"messageId": None}, "data": base64.b64encode(body).decode()}

    assert rmq_message_id(message) == body_digest(body)


def refund(refund_id: str) -> bytes:
    refunded = PaymentRefunded(
        order_id=f"order-{refund_id}",
        user_id="user-alice",
        pet_id="pet-1",
        quantity=1,
        payment_id=f"pay-{refund_id}",
        refund_id=refund_id,
        amount=Money(amount=Decimal("10.00"), currency="EUR"),
    )
    return new_event(refunded, source="test").to_json().encode()


def test_a_batch_with_a_malformed_message_fails_whole_and_its_other_message_takes_effect_once(
    saga: InProcessSaga,
) -> None:
    from notifications.handlers import handle_payment_events

    poison = b'{"type": "payment.refunded", "data": 42}'
    event = rmq_event([rmq_message(poison, tag=1), rmq_message(refund("re-1"), tag=2)], MAPPING)
    context = LambdaContextStub("NotificationPaymentEventsFunction")

    for _attempt in range(3):
        with pytest.raises(BatchFailed, match=re.escape(body_digest(poison))):
            handle_payment_events.lambda_handler(event, context)

    [notification] = saga.items("NotificationsTable")
    assert notification["subject"]["S"] == "Refund issued"


def test_a_batch_of_good_messages_succeeds(saga: InProcessSaga) -> None:
    from notifications.handlers import handle_payment_events

    event = rmq_event([rmq_message(refund("re-1")), rmq_message(refund("re-2"), tag=2)], MAPPING)

    response = handle_payment_events.lambda_handler(
        event, LambdaContextStub("NotificationPaymentEventsFunction")
    )

    assert response == {"batchItemFailures": []}
    assert len(saga.items("NotificationsTable")) == 2
