"""A consumer running short of time hands its remaining records back instead of timing out."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from petstore_shared.events.catalog import Money, PaymentRefunded
from petstore_shared.events.consumer import EventConsumer
from petstore_shared.events.envelope import Event, new_event
from support.in_process_saga import InProcessSaga
from support.rest_api_invocation import LambdaContextStub


@dataclass(frozen=True)
class DwindlingContext(LambdaContextStub):
    """Answers the remaining times given, one per call, then the last one again."""

    remaining_ms: list[int] = field(default_factory=list)

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms.pop(0) if len(self.remaining_ms) > 1 else self.remaining_ms[0]


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


def sqs_batch(events: list[Event[Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {"messageId": f"m-{number}", "body": event.to_json(), "eventSource": "aws:sqs"}
            for number, event in enumerate(events)
        ]
    }


def test_records_left_when_a_quarter_of_the_time_remains_are_reported_failed_unprocessed(
    saga: InProcessSaga,
) -> None:
    handled: list[str] = []
    consumer = EventConsumer("deadline", {PaymentRefunded: lambda e: handled.append(e.id)})
    events = [refund("order-1"), refund("order-2"), refund("order-3")]
    # 10 s at the start: a quarter (2.5 s) is kept in reserve.
    context = DwindlingContext("deadline", remaining_ms=[10_000, 10_000, 9_000, 2_400])

    response = consumer.handle_batch(sqs_batch(events), context)

    assert handled == [events[0].id]
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-2"}]}


def test_a_batch_with_time_to_spare_is_processed_whole(saga: InProcessSaga) -> None:
    handled: list[str] = []
    consumer = EventConsumer("spare", {PaymentRefunded: lambda e: handled.append(e.id)})
    events = [refund("order-1"), refund("order-2")]

    response = consumer.handle_batch(sqs_batch(events), LambdaContextStub("spare"))

    assert handled == [event.id for event in events]
    assert response == {"batchItemFailures": []}
