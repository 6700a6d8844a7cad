"""The API answers hostile and careless requests over real HTTP as its document says:
admin rights only for the `admin` group (matched exactly), the caller checked before the
body is read, numbers and money taken and written exactly as documented, bodies read as
JSON or refused with 415, every problem of a body in one answer, and never a 5xx for a
malformed content type."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from support.cognito_members import member_of
from support.saga_http import (
    Shop,
    add_pet,
    notifications_of,
    place_order,
    user_id_of,
    wait_until_orderable,
)
from support.waiting import wait_until

pytestmark = pytest.mark.integration

Json = dict[str, Any]


def pet_details(**overrides: Any) -> Json:
    return {
        "name": "Contract",
        "species": "dog",
        "price": {"amount": "450.00", "currency": "USD"},
        "stock": 3,
        **overrides,
    }


def raw_post(shop: Shop, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    """POST exactly these bytes and headers, as the admin (no header added for us)."""
    authorization = shop.admin._session.headers["Authorization"]
    return requests.post(
        f"{shop.cloud.api_url}{path}",
        data=body,
        headers={"Authorization": str(authorization), **headers},
        timeout=30,
    )


# ------------------------------------------------------------- item 6: admin groups


@pytest.mark.parametrize(
    "groups",
    [["[admin]"], ["support,admin"], ["admin,support"], ["[admin, support]"], ["Admin"]],
    ids=str,
)
def test_a_group_whose_name_merely_contains_admin_grants_no_admin_rights(
    shop: Shop, groups: list[str]
) -> None:
    member = member_of(shop, groups)

    answer = member.post("/pets", pet_details(name=f"Not by {groups}"))

    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "Forbidden"


def test_a_member_of_admin_and_another_group_is_admin(shop: Shop) -> None:
    member = member_of(shop, ["support", "admin"])

    answer = member.post("/pets", pet_details())

    assert answer.status_code == 201, answer.text


# --------------------------------------------- item 8: the caller before the body


@pytest.mark.parametrize("body", [{"name": ""}, {"stock": "many"}, "not json", []], ids=str)
def test_a_shopper_is_refused_an_admin_route_whatever_the_body(shop: Shop, body: Any) -> None:
    pet_id = add_pet(shop, stock=1)

    created = shop.alice.post("/pets", body)
    updated = shop.alice.put(f"/pets/{pet_id}", body)
    deleted = shop.alice.delete(f"/pets/{pet_id}")
    multipart = shop.alice.request(
        "POST", "/pets", data=b"x", headers={"Content-Type": "multipart/form-data"}
    )

    assert [created.status_code, updated.status_code, deleted.status_code] == [403, 403, 403]
    assert multipart.status_code == 403
    assert shop.anonymous.post("/pets", body).status_code == 401


# ------------------------------------------------------- item 9: numbers and money


def test_whole_numbers_written_with_a_point_are_taken_as_documented(shop: Shop) -> None:
    created = raw_post(
        shop,
        "/pets",
        b'{"name": "Four", "species": "dog", "price": {"amount": 1e2, "currency": "EUR"},'
        b' "stock": 4.0}',
        {"Content-Type": "application/json"},
    )
    assert created.status_code == 201, created.text
    pet = created.json()
    assert (pet["stock"], pet["price"]) == (4, {"amount": "100.00", "currency": "EUR"})

    replaced = shop.admin.put(f"/pets/{pet['id']}", {**pet_details(stock=5.0), "version": 1.0})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["version"] == 2


@pytest.mark.parametrize("amount", [" 5.00", "5.00 ", "1e2", "\u0665", "+5", "5.", "0.00", "5.001"])
def test_an_amount_not_written_as_documented_is_refused(shop: Shop, amount: str) -> None:
    answer = shop.admin.post("/pets", pet_details(price={"amount": amount, "currency": "USD"}))

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == "price.amount"


def test_amounts_are_written_with_minor_units_in_orders_and_notifications(shop: Shop) -> None:
    pet_id = add_pet(shop, stock=5, price="100")
    assert shop.anonymous.get(f"/pets/{pet_id}").json()["price"]["amount"] == "100.00"

    order = place_order(shop.alice, pet_id, quantity=2)

    assert order["amount"] == {"amount": "200.00", "currency": "EUR"}
    received = wait_until(
        lambda: next(
            (
                note
                for note in notifications_of(shop.alice, user_id_of(shop.alice))
                if note.get("orderId") == order["orderId"] and note["subject"] == "Order received"
            ),
            None,
        ),
        timeout_s=30,
        what="the order's notification",
    )
    assert "200.00 EUR" in json.dumps(received)
    assert "E+" not in json.dumps(received)


# ------------------------------------------- item 11: errors that help the client


def test_a_json_body_without_a_content_type_is_read_as_json(shop: Shop) -> None:
    answer = raw_post(shop, "/pets", json.dumps(pet_details()).encode(), {})

    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    "content_type", ["APPLICATION/JSON", "Application/Json; charset=UTF-8", "application/json"]
)
def test_the_json_media_type_is_taken_in_any_case(shop: Shop, content_type: str) -> None:
    body = json.dumps(pet_details()).encode()

    answer = raw_post(shop, "/pets", body, {"Content-Type": content_type})

    assert answer.status_code == 201, answer.text


def test_a_form_encoded_body_is_refused_naming_the_type_to_send(shop: Shop) -> None:
    body = json.dumps(pet_details()).encode()

    answer = raw_post(shop, "/pets", body, {"Content-Type": "application/x-www-form-urlencoded"})

    assert answer.status_code == 415, answer.text
    error = answer.json()["error"]
    assert error["code"] == "UnsupportedMediaType"
    assert "application/json" in error["message"]
    assert "Contract" not in answer.text


def test_every_problem_of_a_body_is_reported_in_one_answer(shop: Shop) -> None:
    body = {"species": "dog#", "price": {"amount": "0", "currency": "dollars"}, "stock": -1}

    answer = shop.admin.post("/pets", {**body, "colour": "brown"})

    assert answer.status_code == 422
    fields = {problem["field"] for problem in answer.json()["error"]["problems"]}
    assert fields == {"colour", "name", "species", "price.amount", "price.currency", "stock"}


def test_a_currency_in_lower_case_is_taken_in_upper_case(shop: Shop) -> None:
    answer = shop.admin.post("/pets", pet_details(price={"amount": "9.5", "currency": "usd"}))

    assert answer.status_code == 201, answer.text
    assert answer.json()["price"] == {"amount": "9.50", "currency": "USD"}


def test_the_last_page_of_a_listing_has_no_next_token(shop: Shop) -> None:
    pages = [shop.anonymous.get("/pets?limit=100").json()]
    while "nextToken" in pages[-1]:
        pages.append(
            shop.anonymous.get(f"/pets?limit=100&nextToken={pages[-1]['nextToken']}").json()
        )

    assert all(page.get("nextToken") is not None for page in pages[:-1])
    assert "nextToken" not in pages[-1]


# ------------------------------------- item 12: malformed content types are not 5xx


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=x", "text/plain", "application/"],
)
def test_a_write_with_a_body_that_is_not_json_is_415_on_every_write_route(
    shop: Shop, content_type: str
) -> None:
    pet_id = add_pet(shop, stock=1)
    wait_until_orderable(shop, pet_id)
    headers = {"Content-Type": content_type}
    body = b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--\r\n"

    answers = [
        shop.admin.request("POST", "/pets", data=body, headers=headers),
        shop.admin.request("PUT", f"/pets/{pet_id}", data=body, headers=headers),
        shop.alice.request("POST", "/orders", data=body, headers=headers),
        shop.alice.request("POST", "/payments", data=body, headers=headers),
    ]

    assert [answer.status_code for answer in answers] == [415] * 4, [a.text for a in answers]
