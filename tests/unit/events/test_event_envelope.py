"""The versioned envelope: every event round-trips through JSON with its typed payload;
anything else is refused as malformed, naming what is wrong."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from petstore_shared.events.catalog import Money, OrderPlaced, PaymentSucceeded
from petstore_shared.events.envelope import Event, derived_event_id, new_event
from petstore_shared.events.records import event_from_sqs_record
from petstore_shared.events.registry import MalformedEvent, parse_event

PLACED = OrderPlaced(
    order_id="order-1",
    user_id="user-alice",
    pet_id="pet-1",
    quantity=2,
    amount=Money(amount=Decimal("25.00"), currency="EUR"),
    payment_token="tok_visa",
)


def test_an_event_round_trips_through_json_with_its_typed_payload() -> None:
    event = new_event(PLACED, source="petstore.orders")

    parsed = parse_event(event.to_json())

    assert parsed == event
    assert isinstance(parsed.data, OrderPlaced)
    assert parsed.data.amount.amount == Decimal("25.00")


def test_the_envelope_names_type_version_and_the_order_as_correlation_id() -> None:
    document = json.loads(new_event(PLACED, source="petstore.orders").to_json())

    assert set(document) == {"id", "type", "version", "source", "time", "correlationId", "data"}
    assert (document["type"], document["version"]) == ("order.placed", 1)
    assert document["correlationId"] == "order-1"
    assert document["data"]["amount"] == {"amount": "25.00", "currency": "EUR"}


def test_a_newer_version_with_an_extra_field_is_read_by_the_current_model() -> None:
    document = json.loads(new_event(PLACED, source="petstore.orders").to_json())
    document["version"] = 2
    document["data"]["giftWrap"] = True

    parsed = parse_event(json.dumps(document))

    assert parsed.version == 2
    assert parsed.data == PLACED


@pytest.mark.parametrize(
    ("message", "complaint"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"type": "order.teleported"}', "Unknown event type 'order.teleported'"),
        ('{"type": "order.placed", "data": {}}', "Invalid order.placed event"),
    ],
)
def test_anything_else_is_malformed(message: str, complaint: str) -> None:
    with pytest.raises(MalformedEvent, match=re.escape(complaint)):
        parse_event(message)


def test_a_payload_of_another_type_is_malformed() -> None:
    document = json.loads(new_event(PLACED, source="petstore.orders").to_json())
    document["type"] = PaymentSucceeded.event_type

    with pytest.raises(MalformedEvent, match=re.escape("payment.succeeded")):
        parse_event(json.dumps(document))


def test_an_sqs_record_carries_the_envelope_as_its_body() -> None:
    event = new_event(PLACED, source="petstore.orders")

    assert event_from_sqs_record({"messageId": "m-1", "body": event.to_json()}) == event
    with pytest.raises(MalformedEvent):
        event_from_sqs_record({"messageId": "m-2"})


def test_derived_event_ids_are_stable_for_the_same_cause() -> None:
    assert derived_event_id("order-1", "inventory.reserved", 1) == derived_event_id(
        "order-1", "inventory.reserved", 1
    )
    assert derived_event_id("order-1", "inventory.reserved", 1) != derived_event_id(
        "order-1", "inventory.reserved", 2
    )


def test_new_events_keep_their_payload_class() -> None:
    event: Event[OrderPlaced] = new_event(PLACED, source="petstore.orders")

    assert "paymentToken" in event.to_json()
