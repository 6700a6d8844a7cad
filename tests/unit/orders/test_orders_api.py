"""The orders routes, called as API Gateway calls them: who may do what, and every bad
input answered with a 4xx that names the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orders.handlers import (
    handle_cancel_order,
    handle_get_order,
    handle_list_user_orders,
    handle_place_order,
)
from support.in_process_saga import InProcessSaga
from support.rest_api_invocation import ApiAnswer, call_api
from support.saga_fixtures import rest_event


def place(caller: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> ApiAnswer:
    event = rest_event("POST", "/orders", caller=caller, body=body, headers=headers)
    return call_api(handle_place_order, event)


@pytest.fixture
def pet(add_pet: Callable[..., str]) -> str:
    return add_pet(stock=5, price="12.50")


def test_placing_an_order_answers_201_pending_for_the_token_user(pet: str) -> None:
    answer = place("alice", {"petId": pet, "quantity": 2, "paymentToken": "tok_visa"})

    assert answer.status == 201
    assert answer.body["status"] == "PENDING"
    assert answer.body["userId"] == "user-alice"
    assert answer.body["amount"] == {"amount": "25.00", "currency": "EUR"}
    assert answer.headers["Location"] == f"/orders/{answer.body['orderId']}"
    assert [entry["status"] for entry in answer.body["history"]] == ["PENDING"]


def test_a_user_id_in_the_body_is_refused(pet: str) -> None:
    body = {"petId": pet, "quantity": 1, "paymentToken": "tok_visa", "userId": "user-bob"}

    answer = place("alice", body)

    assert answer.status == 422
    unknown = {"code": "UnknownField", "message": "Unknown field 'userId'.", "field": "userId"}
    assert answer.body["error"] == {**unknown, "problems": [unknown]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 1, "paymentToken": "tok_visa"}, "petId"),
        ({"petId": "p", "quantity": 0, "paymentToken": "tok_visa"}, "quantity"),
        ({"petId": "p", "quantity": 11, "paymentToken": "tok_visa"}, "quantity"),
        ({"petId": "p", "quantity": "2", "paymentToken": "tok_visa"}, "quantity"),
        ({"petId": "p", "quantity": 1}, "paymentToken"),
        ({"petId": "p", "quantity": 1, "paymentToken": "tok visa!"}, "paymentToken"),
    ],
)
def test_invalid_order_fields_answer_422_naming_the_field(
    saga: InProcessSaga, body: dict[str, Any], field: str
) -> None:
    answer = place("alice", body)

    assert answer.status == 422
    assert answer.body["error"]["field"] == field


def test_a_body_that_is_not_json_answers_400(saga: InProcessSaga) -> None:
    answer = call_api(
        handle_place_order, rest_event("POST", "/orders", caller="alice", body="{not json")
    )

    assert answer.status == 400
    assert answer.body["error"]["code"] == "MalformedJson"


def test_an_unknown_pet_answers_404_naming_pet_id(saga: InProcessSaga) -> None:
    answer = place("alice", {"petId": "no-such-pet", "quantity": 1, "paymentToken": "tok_visa"})

    assert answer.status == 404
    assert answer.body["error"]["field"] == "petId"


def test_more_than_the_stock_is_accepted_then_rejected_out_of_stock(
    pet: str, saga: InProcessSaga, order_of: Callable[[str], Any]
) -> None:
    answer = place("alice", {"petId": pet, "quantity": 6, "paymentToken": "tok_visa"})
    assert answer.status == 201

    saga.settle()

    order = order_of(answer.body["orderId"])
    assert (order.status.value, order.reason) == ("REJECTED", "out_of_stock")


def test_without_a_signed_in_caller_placing_answers_401(pet: str) -> None:
    event = rest_event("POST", "/orders", body={"petId": pet, "quantity": 1, "paymentToken": "t"})

    assert call_api(handle_place_order, event).status == 401


def test_the_same_idempotency_key_returns_the_same_order_and_places_no_second(
    pet: str, saga: InProcessSaga
) -> None:
    body = {"petId": pet, "quantity": 1, "paymentToken": "tok_visa"}
    key = {"Idempotency-Key": "checkout-42"}

    first = place("alice", body, key)
    again = place("alice", body, key)

    assert (first.status, again.status) == (201, 200)
    assert again.body["orderId"] == first.body["orderId"]
    orders = [item for item in saga.items("OrdersTable") if item["sk"]["S"] == "ORDER"]
    assert len(orders) == 1


def test_an_idempotency_key_reused_for_another_order_answers_409(pet: str) -> None:
    key = {"Idempotency-Key": "checkout-42"}
    place("alice", {"petId": pet, "quantity": 1, "paymentToken": "tok_visa"}, key)

    answer = place("alice", {"petId": pet, "quantity": 2, "paymentToken": "tok_visa"}, key)

    assert answer.status == 409
    assert answer.body["error"]["field"] == "Idempotency-Key"


def test_two_shoppers_with_the_same_idempotency_key_get_two_orders(pet: str) -> None:
    body = {"petId": pet, "quantity": 1, "paymentToken": "tok_visa"}
    key = {"Idempotency-Key": "checkout-42"}

    alices = place("alice", body, key)
    bobs = place("bob", body, key)

    assert (alices.status, bobs.status) == (201, 201)
    assert alices.body["orderId"] != bobs.body["orderId"]


def test_an_order_is_shown_to_its_owner_and_admins_and_not_found_for_others(pet: str) -> None:
    order_id = place("alice", {"petId": pet, "quantity": 1, "paymentToken": "tok_visa"}).body[
        "orderId"
    ]

    def get(caller: str) -> ApiAnswer:
        return call_api(handle_get_order, rest_event("GET", f"/orders/{order_id}", caller=caller))

    assert get("alice").status == 200
    assert get("admin").status == 200
    bobs = get("bob")
    assert bobs.status == 404
    assert bobs.body["error"]["code"] == "OrderNotFound"
    assert "user-alice" not in str(bobs.body)


def test_a_users_orders_are_listed_newest_first_a_page_at_a_time(pet: str) -> None:
    placed = [
        place("alice", {"petId": pet, "quantity": 1, "paymentToken": "tok_visa"}).body["orderId"]
        for _ in range(3)
    ]

    def page(token: str | None = None) -> ApiAnswer:
        query = {"limit": "2", **({"nextToken": token} if token else {})}
        event = rest_event("GET", "/orders/user/user-alice", caller="alice", query=query)
        return call_api(handle_list_user_orders, event)

    first = page()
    second = page(first.body["nextToken"])

    assert [order["orderId"] for order in first.body["items"]] == placed[::-1][:2]
    assert [order["orderId"] for order in second.body["items"]] == placed[:1]
    assert second.body.get("nextToken") is None


def test_listing_someone_elses_orders_answers_403_naming_the_callers_own_id(
    saga: InProcessSaga,
) -> None:
    event = rest_event("GET", "/orders/user/alice", caller="bob")

    answer = call_api(handle_list_user_orders, event)

    assert answer.status == 403
    assert "your user id is 'user-bob'" in answer.body["error"]["message"]
    assert "'me'" in answer.body["error"]["message"]


def test_me_lists_the_callers_own_orders(pet: str) -> None:
    placed = place("alice", {"petId": pet, "quantity": 1, "paymentToken": "tok_visa"})
    place("bob", {"petId": pet, "quantity": 1, "paymentToken": "tok_visa"})

    answer = call_api(handle_list_user_orders, rest_event("GET", "/orders/user/me", caller="alice"))

    assert answer.status == 200
    assert [order["orderId"] for order in answer.body["items"]] == [placed.body["orderId"]]


def test_a_tampered_next_token_answers_400_naming_next_token(saga: InProcessSaga) -> None:
    event = rest_event(
        "GET", "/orders/user/user-alice", caller="alice", query={"nextToken": "eyJwayI6IngifQ"}
    )

    answer = call_api(handle_list_user_orders, event)

    assert answer.status == 400
    assert answer.body["error"]["field"] == "nextToken"


def test_cancelling_a_pending_order_answers_the_cancelled_order(pet: str) -> None:
    order_id = place("alice", {"petId": pet, "quantity": 1, "paymentToken": "tok_visa"}).body[
        "orderId"
    ]

    answer = call_api(
        handle_cancel_order, rest_event("PUT", f"/orders/{order_id}/cancel", caller="alice")
    )

    assert answer.status == 200
    assert answer.body["status"] == "CANCELLED"
    assert [entry["status"] for entry in answer.body["history"]] == ["PENDING", "CANCELLED"]


def test_cancelling_a_cancelled_order_answers_409(pet: str) -> None:
    order_id = place("alice", {"petId": pet, "quantity": 1, "paymentToken": "tok_visa"}).body[
        "orderId"
    ]
    cancel = rest_event("PUT", f"/orders/{order_id}/cancel", caller="alice")
    call_api(handle_cancel_order, cancel)

    answer = call_api(handle_cancel_order, cancel)

    assert answer.status == 409
    assert answer.body["error"]["code"] == "OrderNotCancellable"


def test_nobody_cancels_someone_elses_order(pet: str) -> None:
    order_id = place("alice", {"petId": pet, "quantity": 1, "paymentToken": "tok_visa"}).body[
        "orderId"
    ]

    answer = call_api(
        handle_cancel_order, rest_event("PUT", f"/orders/{order_id}/cancel", caller="bob")
    )

    assert answer.status == 404
