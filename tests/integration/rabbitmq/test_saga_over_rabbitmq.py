"""The saga over RabbitMQ where Amazon MQ's semantics differ from SQS and Kafka: a batch
fails or succeeds whole (no partial batch response), so a poison message's batch-mates
are delivered again with it and must have their effect once; and a broker restarted
mid-saga (every connection of publishers and pollers dropped) loses nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.event_sources.rabbitmq.provisioning import rabbitmq_stack_of
from support import rabbitmq_saga
from support.saga_http import (
    Shop,
    add_pet,
    dead_letters,
    intercepted_invocations,
    notifications_of,
    payments_of,
    place_order,
    send_to_consumer,
    shop_for_module,
    stock_of,
    user_id_of,
    wait_for_status,
    wait_for_subjects,
    wait_until_queues_drained,
)
from support.waiting import wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("saga_cloud", ["rabbitmq"], indirect=True),
]

POISON = '{"type": "payment.refunded", "data": 42}'
QUEUE = "NotificationsPaymentEventsQueue"


@pytest.fixture
def shop(saga_cloud: Any) -> Shop:
    return shop_for_module(saga_cloud)


def refund(user_id: str, order_id: str) -> dict[str, Any]:
    return {
        "id": f"{order_id}-refunded",
        "type": "payment.refunded",
        "version": 1,
        "source": "test",
        "time": "2026-11-24T10:00:00Z",
        "correlationId": order_id,
        "data": {
            "orderId": order_id,
            "userId": user_id,
            "petId": "pet-1",
            "quantity": 1,
            "paymentId": "pay-1",
            "refundId": "re-1",
            "amount": {"amount": "10.00", "currency": "EUR"},
        },
    }


def consumer_of(shop: Shop, queue: str) -> str:
    assert shop.cloud.stack is not None
    name = rabbitmq_saga.queue_of(queue)
    mappings = rabbitmq_stack_of(shop.cloud.stack).mappings
    return next(mapping.function for mapping in mappings if mapping.queue == name)


@pytest.fixture
def batches(shop: Shop) -> Iterator[list[int]]:
    """The size of every batch the notifications' payment consumer is invoked with."""
    sizes: list[int] = []
    function = consumer_of(shop, QUEUE)
    invoker = shop.cloud.invoker
    assert invoker is not None
    original = invoker.invoke

    def counting(logical_id: str, event: dict[str, Any], *more: Any, **named: Any) -> Any:
        if logical_id == function:
            sizes.append(sum(len(m) for m in event["rmqMessagesByQueue"].values()))
        return original(logical_id, event, *more, **named)

    invoker.invoke = counting  # type: ignore[method-assign]
    try:
        yield sizes
    finally:
        invoker.invoke = original  # type: ignore[method-assign]


@pytest.mark.timeout(120)
def test_a_poison_message_goes_to_the_dlq_and_its_batch_mates_take_effect_once(
    shop: Shop, batches: list[int]
) -> None:
    alice = user_id_of(shop.alice)
    good = [refund(alice, f"order-mate-{n}") for n in range(2)]
    function = consumer_of(shop, QUEUE)
    # Held back so that the three arrive as one batch.
    shop.cloud.disable_event_sources(function)
    send_to_consumer(shop, QUEUE, [POISON, *(json.dumps(event) for event in good)])
    shop.cloud.enable_event_sources(function)

    for event in good:
        wait_for_subjects(shop.alice, alice, event["correlationId"], ["Refund issued"])
    dead = wait_until(
        lambda: dead_letters(shop, "NotificationsPaymentEventsDeadLetterQueue"),
        timeout_s=60,
        what="the poison message in the dead-letter queue",
    )

    assert POISON in dead
    assert batches[0] == 3
    # Delivered again with the poison message until the limit (2 more deliveries)...
    assert batches[:3] == [3, 3, 3]
    # ...yet told once each: the consumer skips an event id it has handled.
    told = [n["orderId"] for n in notifications_of(shop.alice, alice)]
    assert sorted(o for o in told if o.startswith("order-mate-")) == [
        "order-mate-0",
        "order-mate-1",
    ]


@pytest.mark.timeout(180)
def test_a_broker_restarted_mid_saga_leaves_every_order_terminal_and_charged_once(
    shop: Shop,
) -> None:
    stock, orders = 4, 8
    pet_id = add_pet(shop, stock=stock)
    placed = [place_order(shop.alice, pet_id)["orderId"] for _ in range(orders // 2)]
    restarted = threading.Event()

    def restart_during(invoke_it: Any) -> Any:
        if not restarted.is_set():
            restarted.set()
            rabbitmq_saga.broker(shop.cloud).restart()
        return invoke_it()

    with intercepted_invocations(
        shop, consumer_of(shop, "InventoryOrderEventsQueue"), restart_during
    ):
        placed += [place_order(shop.alice, pet_id)["orderId"] for _ in range(orders // 2)]
        finished = [wait_for_status(shop.alice, order_id) for order_id in placed]

    wait_until_queues_drained(shop)
    assert restarted.is_set()
    statuses = sorted(order["status"] for order in finished)
    assert statuses == ["CONFIRMED"] * stock + ["REJECTED"] * (orders - stock)
    assert stock_of(shop, pet_id) == 0
    for order in finished:
        charged = [
            p for p in payments_of(shop.alice, order["orderId"]) if p["status"] == "SUCCEEDED"
        ]
        assert len(charged) == (1 if order["status"] == "CONFIRMED" else 0), order["orderId"]
