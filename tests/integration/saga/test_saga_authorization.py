"""Nobody reads or changes another shopper's orders, payments or notifications; the
internal notification route takes SigV4 signatures only."""

from __future__ import annotations

from typing import Any

import pytest

from support.saga_http import Shop, add_pet, payments_of, place_order, user_id_of, wait_for_status

pytestmark = pytest.mark.integration


@pytest.fixture
def alices_order(shop: Shop) -> dict[str, Any]:
    order = place_order(shop.alice, add_pet(shop, stock=1))
    return wait_for_status(shop.alice, order["orderId"])


def test_bob_can_neither_read_nor_cancel_alices_order(
    shop: Shop, alices_order: dict[str, Any]
) -> None:
    order_id = alices_order["orderId"]

    assert shop.bob.get(f"/orders/{order_id}").status_code == 404
    assert shop.bob.put(f"/orders/{order_id}/cancel").status_code == 404
    assert shop.bob.get(f"/orders/user/{alices_order['userId']}").status_code == 403
    assert shop.alice.get(f"/orders/{order_id}").json()["status"] == "CONFIRMED"


def test_bob_can_neither_read_nor_pay_alices_payments(
    shop: Shop, alices_order: dict[str, Any]
) -> None:
    order_id = alices_order["orderId"]
    [payment] = payments_of(shop.alice, order_id)

    assert shop.bob.get(f"/payments/{payment['paymentId']}").status_code == 404
    assert shop.bob.get(f"/payments/order/{order_id}").status_code == 404
    paying = shop.bob.post("/payments", {"orderId": order_id, "paymentToken": "tok_visa"})
    assert paying.status_code == 404


def test_bob_cannot_read_alices_notifications(shop: Shop, alices_order: dict[str, Any]) -> None:
    answer = shop.bob.get(f"/notifications/user/{user_id_of(shop.alice)}")

    assert answer.status_code == 403
    assert "items" not in answer.json()


def test_the_internal_notification_route_refuses_shopper_tokens_and_unsigned_calls(
    shop: Shop,
) -> None:
    body = {"userId": user_id_of(shop.bob), "subject": "Hello", "message": "From the shop."}

    assert shop.alice.post("/notifications", body).status_code == 403
    assert shop.admin.post("/notifications", body).status_code == 403
    assert shop.anonymous.post("/notifications", body).status_code == 403
    signed = shop.anonymous.signed("POST", "/notifications", body)
    assert signed.status_code == 201, signed.text
    [notification] = shop.bob.get(f"/notifications/user/{body['userId']}").json()["items"]
    assert notification["subject"] == "Hello"
