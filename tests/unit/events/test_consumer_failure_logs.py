"""A consumer's log says which SQS message failed and why: an unreadable body in a line of
its own, and a failed event with the message's id beside the event's."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from petstore_shared.events.catalog import Money, PaymentRefunded
from petstore_shared.events.consumer import (
    FAILED_EVENT_MESSAGE,
    UNREADABLE_MESSAGE,
    EventConsumer,
)
from petstore_shared.events.envelope import Event, new_event
from petstore_shared.observability import logger
from support.in_process_saga import InProcessSaga
from support.rest_api_invocation import LambdaContextStub


def refund(order_id: str) -> Event[Any]:
    data = PaymentRefunded(
        order_id=order_id,
        user_id="user-alice",
        pet_id="pet-1",
        quantity=1,
        payment_id=f"pay-{order_id}",
        refund_id=f"re-{order_id}",
        amount=Money(amount=Decimal("10.00"), currency="EUR"),
    )
    return new_event(data, source="test")


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """The consumer's JSON log lines, as its Logger formats them."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    yield output
    logger.removeHandler(handler)


def logged(output: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.getvalue().splitlines() if line.startswith("{")]


def test_an_unreadable_body_is_logged_with_its_message_id_and_the_complaint(
    saga: InProcessSaga, log_output: io.StringIO
) -> None:
    consumer = EventConsumer("unreadable", {PaymentRefunded: lambda event: None})
    batch = {"Records": [{"messageId": "m-bad", "body": "not json", "eventSource": "aws:sqs"}]}

    response = consumer.handle_batch(batch, LambdaContextStub("unreadable"))

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}
    [line] = [line for line in logged(log_output) if line["message"] == UNREADABLE_MESSAGE]
    assert line["level"] == "ERROR"
    assert line["message_id"] == "m-bad"
    assert "MalformedEvent" in line["exception"]


def test_a_failed_event_is_logged_with_its_message_id(
    saga: InProcessSaga, log_output: io.StringIO
) -> None:
    def fail(event: Any) -> None:
        raise RuntimeError("no stock table")

    consumer = EventConsumer("failing", {PaymentRefunded: fail})
    event = refund("order-9")
    batch = {"Records": [{"messageId": "m-9", "body": event.to_json(), "eventSource": "aws:sqs"}]}

    consumer.handle_batch(batch, LambdaContextStub("failing"))

    [line] = [line for line in logged(log_output) if line["message"] == FAILED_EVENT_MESSAGE]
    assert (line["message_id"], line["event_id"]) == ("m-9", event.id)
    assert "no stock table" in line["exception"]
