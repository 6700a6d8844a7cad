"""After a scripted saga run on the local cloud, the emulated CloudWatch holds what the
services counted (their EMF lines) and what AWS itself would have published for the
functions and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from support.saga_http import (
    Shop,
    add_pet,
    aws,
    held_invocations,
    notifications_of,
    place_order,
    user_id_of,
    wait_for_status,
    wait_until_queues_drained,
)
from support.waiting import wait_until

pytestmark = pytest.mark.integration


def run_scripted_saga(shop: Shop) -> None:
    """Five orders: confirmed, declined, one of two for the last pet in stock confirmed and
    the other rejected, and one confirmed and then cancelled (refunded)."""
    pet = add_pet(shop, stock=10)
    confirmed = place_order(shop.alice, pet, "tok_visa")["orderId"]
    declined = place_order(shop.bob, pet, "tok_decline")["orderId"]
    cancelled = place_order(shop.alice, pet, "tok_visa")["orderId"]
    last_one = add_pet(shop, stock=1)
    with held_invocations(shop, "InventoryOrderEventsFunction"):
        rivals = [
            (shop.alice, place_order(shop.alice, last_one)["orderId"]),
            (shop.bob, place_order(shop.bob, last_one)["orderId"]),
        ]
    wait_for_status(shop.alice, confirmed, {"CONFIRMED"})
    wait_for_status(shop.bob, declined, {"PAYMENT_FAILED"})
    rival_statuses = sorted(wait_for_status(who, order)["status"] for who, order in rivals)
    assert rival_statuses == ["CONFIRMED", "REJECTED"]
    wait_for_status(shop.alice, cancelled, {"CONFIRMED"})
    assert shop.alice.put(f"/orders/{cancelled}/cancel").status_code == 200
    wait_until(
        lambda: wait_for_status(shop.alice, cancelled)["refunded"], what="the cancelled order"
    )
    wait_until_queues_drained(shop)


def test_a_saga_run_leaves_every_business_metric_counted_in_cloudwatch(petstore: Shop) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)

    run_scripted_saga(petstore)

    notified = len(notifications_of(petstore.alice, user_id_of(petstore.alice))) + len(
        notifications_of(petstore.bob, user_id_of(petstore.bob))
    )
    expected = {
        ("orders", "OrdersPlaced"): 5,
        ("orders", "OrdersConfirmed"): 3,
        ("orders", "OrdersRejected"): 1,
        ("orders", "OrdersPaymentFailed"): 1,
        ("orders", "OrdersCancelled"): 1,
        ("payments", "PaymentsSucceeded"): 3,
        ("payments", "PaymentsDeclined"): 1,
        ("payments", "PaymentsRefunded"): 1,
        ("notifications", "NotificationsSent"): notified,
    }
    cloudwatch = aws(petstore, "cloudwatch")

    def counted() -> dict[tuple[str, str], float]:
        assert petstore.cloud.monitoring is not None
        petstore.cloud.monitoring.flush()
        return {
            (service, name): statistic(
                cloudwatch, "PetStore", name, {"service": service}, since, "Sum"
            )
            for service, name in expected
        }

    wait_until(lambda: counted() == expected, timeout_s=15, what=f"metrics {expected}")
    saga_durations = statistic(
        cloudwatch, "PetStore", "SagaDuration", {"service": "orders"}, since, "SampleCount"
    )
    assert saga_durations == 6  # 3 confirmed, 1 rejected, 1 payment failed, 1 cancelled


def test_invocations_and_requests_are_counted_as_the_aws_namespaces_count_them(
    petstore: Shop,
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    stack = petstore.cloud.stack
    assert stack is not None and petstore.cloud.monitoring is not None
    pet = add_pet(petstore, stock=2)

    for _ in range(3):
        place_order(petstore.alice, pet)
    assert petstore.alice.post("/orders", {"petId": pet}).status_code == 422

    place_order_function = stack.functions["PlaceOrderFunction"].name
    route = {
        "ApiName": stack.name,
        "Stage": stack.api_stage,
        "Method": "POST",
        "Resource": "/orders",
    }
    cloudwatch = aws(petstore, "cloudwatch")

    def counted() -> tuple[float, ...]:
        assert petstore.cloud.monitoring is not None
        petstore.cloud.monitoring.flush()
        return (
            statistic(
                cloudwatch,
                "AWS/Lambda",
                "Invocations",
                {"FunctionName": place_order_function},
                since,
                "Sum",
            ),
            statistic(
                cloudwatch,
                "AWS/Lambda",
                "Errors",
                {"FunctionName": place_order_function},
                since,
                "Sum",
            ),
            statistic(cloudwatch, "AWS/ApiGateway", "Count", route, since, "Sum"),
            statistic(cloudwatch, "AWS/ApiGateway", "4XXError", route, since, "Sum"),
        )

    wait_until(lambda: counted() == (4, 0, 4, 1), timeout_s=15, what="Lambda and API metrics")


def statistic(
    cloudwatch: Any,
    namespace: str,
    name: str,
    dimensions: dict[str, str],
    since: datetime,
    stat: str,
) -> float:
    datapoints = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[{"Name": key, "Value": value} for key, value in dimensions.items()],
        StartTime=since,
        EndTime=datetime.now(UTC) + timedelta(minutes=1),
        Period=60,
        Statistics=[stat],
    )["Datapoints"]
    return float(sum(point[stat] for point in datapoints))
