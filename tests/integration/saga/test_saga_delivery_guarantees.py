"""The saga's delivery guarantees on the local cloud, with its real pollers: a malformed
message goes to the dead-letter queue without holding back its batch, an outbox publish
that fails is published on the retry (and one that runs twice has one effect), and
every event of a saga sent again three times, out of order, changes nothing."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from localcloud.model import InvocationResult
from support import rabbitmq_saga
from support.saga_http import (
    EventTap,
    Shop,
    add_pet,
    dead_letters,
    intercepted_invocations,
    notifications_of,
    order_of,
    payments_of,
    place_order,
    publish_again,
    send_to_consumer,
    stock_of,
    user_id_of,
    wait_for_status,
    wait_for_subjects,
    wait_until_queues_drained,
)
from support.waiting import wait_until

pytestmark = pytest.mark.integration

HAPPY_SUBJECTS = ["Order confirmed", "Order received", "Payment received"]


def test_a_malformed_message_goes_to_the_dlq_and_the_rest_of_its_batch_is_processed(
    shop: Shop,
) -> None:
    alice = user_id_of(shop.alice)
    valid = {
        "id": "c0ffee00-0000-4000-8000-000000000001",
        "type": "payment.refunded",
        "version": 1,
        "source": "test",
        "time": "2026-11-24T10:00:00Z",
        "correlationId": "order-from-test",
        "data": {
            "orderId": "order-from-test",
            "userId": alice,
            "petId": "pet-1",
            "quantity": 1,
            "paymentId": "pay-1",
            "refundId": "re-1",
            "amount": {"amount": "10.00", "currency": "EUR"},
        },
    }

    malformed = '{"type": "payment.refunded", "data": 42}'
    send_to_consumer(shop, "NotificationsPaymentEventsQueue", [malformed, json.dumps(valid)])

    wait_for_subjects(shop.alice, alice, "order-from-test", ["Refund issued"])
    dead = wait_until(
        lambda: dead_letters(shop, "NotificationsPaymentEventsDeadLetterQueue"),
        timeout_s=30,
        what="the malformed message in the dead-letter queue",
    )
    if rabbitmq_saga.uses_rabbitmq(shop.cloud):
        # Amazon MQ returns a failed batch whole: had the valid message shared the
        # malformed one's batch, it reached the dead-letter queue with it (handled once).
        assert dead[0] == malformed and set(dead) <= {malformed, json.dumps(valid)}
    else:
        assert dead == [malformed]


def test_an_outbox_publish_that_fails_once_is_still_published(shop: Shop) -> None:
    failures = iter([InvocationResult(ok=False, error_type="Simulated", error_message="SNS down")])

    def fail_first(invoke_it: Any) -> Any:
        return next(failures, None) or invoke_it()

    pet_id = add_pet(shop, stock=1)
    with intercepted_invocations(shop, "OrdersOutboxPublisherFunction", fail_first):
        order = place_order(shop.alice, pet_id)
        confirmed = wait_for_status(shop.alice, order["orderId"])

    assert confirmed["status"] == "CONFIRMED"
    assert next(failures, None) is None, "the publisher was never invoked"


def test_an_outbox_publisher_that_runs_twice_has_one_effect(shop: Shop) -> None:
    tap = EventTap(shop)
    runs: list[str] = []

    def run_then_fail_once(invoke_it: Any) -> Any:
        result = invoke_it()
        if not runs:
            runs.append("failed after publishing")
            return InvocationResult(ok=False, error_type="Simulated", error_message="crashed late")
        return result

    pet_id = add_pet(shop, stock=1)
    with intercepted_invocations(shop, "OrdersOutboxPublisherFunction", run_then_fail_once):
        order = place_order(shop.alice, pet_id)
        wait_for_status(shop.alice, order["orderId"])
        wait_until_queues_drained(shop)

    assert len(tap.about(order["orderId"], "order.placed")) == 2
    alice = user_id_of(shop.alice)
    wait_for_subjects(shop.alice, alice, order["orderId"], HAPPY_SUBJECTS)
    assert len(payments_of(shop.alice, order["orderId"])) == 1
    assert stock_of(shop, pet_id) == 0


def test_every_event_of_a_saga_sent_again_three_times_out_of_order_changes_nothing(
    shop: Shop,
) -> None:
    tap = EventTap(shop)
    pet_id = add_pet(shop, stock=2)
    order_id = place_order(shop.alice, pet_id)["orderId"]
    wait_for_status(shop.alice, order_id)
    alice = user_id_of(shop.alice)
    wait_for_subjects(shop.alice, alice, order_id, HAPPY_SUBJECTS)
    wait_until_queues_drained(shop)
    events = tap.about(order_id)
    before = (
        order_of(shop.alice, order_id),
        payments_of(shop.alice, order_id),
        notifications_of(shop.alice, alice),
        stock_of(shop, pet_id),
    )

    again = [event for event in events if event["type"] != "notification.sent"] * 3
    random.Random(order_id).shuffle(again)
    for event in again:
        publish_again(shop, event)
    wait_until_queues_drained(shop)

    after = (
        order_of(shop.alice, order_id),
        payments_of(shop.alice, order_id),
        notifications_of(shop.alice, alice),
        stock_of(shop, pet_id),
    )
    assert after == before
    assert len(tap.about(order_id)) == len(events) + len(again)
