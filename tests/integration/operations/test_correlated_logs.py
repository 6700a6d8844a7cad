"""The order id is the correlation id of every log line written about the order, in every
service the order passes through, so one search finds the order's whole story."""

from __future__ import annotations

import json
from typing import Any

import pytest

from support.saga_http import (
    Shop,
    add_pet,
    place_order,
    user_id_of,
    wait_for_status,
    wait_for_subjects,
    wait_until_queues_drained,
)
from support.waiting import wait_until

pytestmark = pytest.mark.integration

SAGA_SERVICES = {"orders", "inventory", "payments", "notifications"}


def log_lines_mentioning(shop: Shop, text: str) -> list[dict[str, Any]]:
    """Every Powertools log line of every function that mentions `text` anywhere."""
    stack = shop.cloud.stack
    assert stack is not None
    found = []
    for function in stack.functions.values():
        for line in shop.cloud.log_sink.lines(function.name):
            if text in line and line.startswith("{"):
                document = json.loads(line)
                if "level" in document:
                    found.append(document)
    return found


def test_every_log_line_about_an_order_carries_its_id_in_every_service(petstore: Shop) -> None:
    order_id = place_order(petstore.alice, add_pet(petstore, stock=1))["orderId"]
    wait_for_status(petstore.alice, order_id, {"CONFIRMED"})
    alice = user_id_of(petstore.alice)
    wait_for_subjects(
        petstore.alice, alice, order_id, ["Order confirmed", "Order received", "Payment received"]
    )
    wait_until_queues_drained(petstore)

    def lines_from_every_service() -> list[dict[str, Any]] | None:
        found = log_lines_mentioning(petstore, order_id)
        return found if {line["service"] for line in found} == SAGA_SERVICES else None

    lines = wait_until(lines_from_every_service, what=f"log lines about {order_id}")

    assert [line for line in lines if line.get("correlation_id") != order_id] == []
    assert len(lines) >= 10
