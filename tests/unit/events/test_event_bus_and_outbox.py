"""Publishing: the SNS adapter routes each event to its family's topic with its type as
the message attribute the subscriptions filter on; the outbox is written in the state
change's own transaction and published by the stream publisher, which is safe to run
twice and publishes an event whose first publish failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orders.handlers import handle_cancel_order
from petstore_shared.aws_clients import sns_client
from petstore_shared.events.bus import TopicNotConfigured
from petstore_shared.events.catalog import NotificationSent, OrderCancelled
from petstore_shared.events.envelope import new_event
from petstore_shared.events.sns_bus import SnsEventBus, sns_event_bus_from_environment
from support.in_process_saga import InProcessSaga, client, subscriptions
from support.rest_api_invocation import call_api
from support.saga_fixtures import events_of, rest_event

CANCELLED = OrderCancelled(
    order_id="order-1", user_id="user-alice", pet_id="pet-1", quantity=1, previous_status="PENDING"
)


def queued_types(saga: InProcessSaga, queue: str) -> list[str]:
    url = saga.queue_urls[queue]
    messages = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [
        message["Body"].split('"type":"')[1].split('"')[0]
        for message in messages.get("Messages", [])
    ]


def test_an_event_reaches_exactly_the_queues_whose_filter_names_its_type(
    saga: InProcessSaga,
) -> None:
    sns_event_bus_from_environment().publish(new_event(CANCELLED, source="test"))

    subscribed = {s.queue for s in subscriptions() if "order.cancelled" in s.event_types}
    for queue in saga.queue_urls:
        expected = ["order.cancelled"] if queue in subscribed else []
        if queue.endswith("DeadLetterQueue"):
            continue
        assert queued_types(saga, queue) == expected, queue
    assert subscribed == {
        "InventoryOrderEventsQueue",
        "PaymentsOrderEventsQueue",
        "NotificationsOrderEventsQueue",
    }


def test_a_function_without_the_topic_of_an_event_cannot_publish_it(saga: InProcessSaga) -> None:
    bus = SnsEventBus(sns_client(), {})
    sent = NotificationSent(notification_id="n-1", user_id="u", subject="s", message="m")

    with pytest.raises(TopicNotConfigured):
        bus.publish(new_event(sent, source="test"))


def test_a_refused_state_change_writes_no_outbox_event(
    saga: InProcessSaga, place_order: Callable[..., str]
) -> None:
    order_id = place_order()
    cancel = rest_event("PUT", f"/orders/{order_id}/cancel", caller="alice")
    call_api(handle_cancel_order, cancel)
    assert call_api(handle_cancel_order, cancel).status == 409
    saga.settle()

    assert [
        event.type for event in events_of(saga, order_id) if event.source == "petstore.orders"
    ] == [
        "order.placed",
        "order.cancelled",
    ]


def test_an_outbox_publish_that_fails_once_is_published_on_the_retry(
    saga: InProcessSaga,
    add_pet: Callable[..., str],
    place_order: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pet_id = add_pet()
    failures = iter([ConnectionError("SNS is unreachable")])
    publish = SnsEventBus.publish

    def fail_once(bus: SnsEventBus, event: Any) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        publish(bus, event)

    monkeypatch.setattr(SnsEventBus, "publish", fail_once)
    order_id = place_order(pet_id)

    saga.settle()

    assert [event.type for event in events_of(saga, order_id, "order.placed")] == ["order.placed"]
    assert events_of(saga, order_id, "order.confirmed") != []


def test_the_outbox_publisher_run_twice_changes_nothing_downstream(
    saga: InProcessSaga, place_order: Callable[..., str], order_of: Any, stock_of: Any
) -> None:
    order_id = place_order()
    saga.settle()
    before = (
        order_of(order_id),
        len(saga.items("PaymentsTable")),
        saga.items("NotificationsTable"),
    )

    saga.replay_streams()
    saga.settle()

    assert len(events_of(saga, order_id, "order.placed")) == 2
    after = (order_of(order_id), len(saga.items("PaymentsTable")), saga.items("NotificationsTable"))
    assert after == before
