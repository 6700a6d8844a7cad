"""The saga over Kafka with every Kafka consumer of the local cloud stopped mid-stream and
started again: the records published meanwhile wait in their topics, nothing is lost
(every order reaches its final state, every shopper is told once per step) and nothing
read twice has a second effect (one charge per confirmed order, stock never oversold)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.event_sources.kafka.provisioning import kafka_stack_of
from support.saga_http import (
    Shop,
    add_pet,
    notifications_of,
    payments_of,
    place_order,
    shop_for_module,
    stock_of,
    user_id_of,
    wait_for_status,
    wait_until_queues_drained,
)
from support.waiting import wait_until

pytestmark = pytest.mark.integration

STOCK = 4
ORDERS = 8
EXPECTED_SUBJECTS = {
    "CONFIRMED": ["Order confirmed", "Order received", "Payment received"],
    "REJECTED": ["Order received", "Order rejected"],
}


@pytest.fixture
def shop(saga_cloud: Any) -> Shop:
    return shop_for_module(saga_cloud)


@pytest.fixture
def consumers(shop: Shop) -> Iterator[list[str]]:
    """The functions fed by Kafka; their event sources are enabled again afterwards."""
    assert shop.cloud.stack is not None
    functions = sorted({m.function for m in kafka_stack_of(shop.cloud.stack).mappings})
    yield functions
    for function in functions:
        shop.cloud.enable_event_sources(function)


@pytest.mark.parametrize("saga_cloud", ["kafka"], indirect=True)
@pytest.mark.timeout(180)
def test_consumers_stopped_and_started_mid_stream_lose_nothing_and_repeat_no_effect(
    shop: Shop, consumers: list[str]
) -> None:
    pet_id = add_pet(shop, stock=STOCK)
    placed = [place_order(shop.alice, pet_id)["orderId"] for _ in range(ORDERS // 2)]

    for function in consumers:
        shop.cloud.disable_event_sources(function)
    placed += [place_order(shop.alice, pet_id)["orderId"] for _ in range(ORDERS // 2)]
    for function in consumers:
        shop.cloud.enable_event_sources(function)

    orders = [wait_for_status(shop.alice, order_id) for order_id in placed]
    wait_until_queues_drained(shop)
    by_status = {o["orderId"]: o["status"] for o in orders}
    assert sorted(by_status.values()) == ["CONFIRMED"] * STOCK + ["REJECTED"] * (ORDERS - STOCK)
    assert stock_of(shop, pet_id) == 0
    for order_id, status in by_status.items():
        charged = [p for p in payments_of(shop.alice, order_id) if p["status"] == "SUCCEEDED"]
        assert len(charged) == (1 if status == "CONFIRMED" else 0), order_id
    alice = user_id_of(shop.alice)

    def told() -> dict[str, list[str]]:
        subjects: dict[str, list[str]] = {order_id: [] for order_id in placed}
        for item in notifications_of(shop.alice, alice):
            if item.get("orderId") in subjects:
                subjects[item["orderId"]].append(item["subject"])
        return {order_id: sorted(found) for order_id, found in subjects.items()}

    expected = {order_id: EXPECTED_SUBJECTS[status] for order_id, status in by_status.items()}
    wait_until(lambda: told() == expected, timeout_s=30, what="each shopper told once per step")
