"""Bad input gets a clear 4xx naming the offending field, never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pets.handlers import (
    handle_create_pet,
    handle_decrement_inventory,
    handle_get_pet,
    handle_list_pets,
)


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`body` with the field at dotted `path` set to `value` (or removed, for ...)."""
    changed = json.loads(json.dumps(body))
    *parents, leaf = path.split(".")
    target = changed
    for parent in parents:
        target = target[parent]
    if value is ...:
        del target[leaf]
    else:
        target[leaf] = value
    return changed


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("name", ..., "MissingField"),
        ("name", "", "InvalidField"),
        ("name", "   ", "InvalidField"),
        ("name", "x" * 101, "InvalidField"),
        ("name", 42, "InvalidField"),
        ("species", ..., "MissingField"),
        ("species", "", "InvalidField"),
        ("species", "cat#2026", "InvalidField"),
        ("price", ..., "MissingField"),
        ("price", 12, "InvalidField"),
        ("price.amount", 0, "InvalidField"),
        ("price.amount", -5, "InvalidField"),
        ("price.amount", "12.345", "InvalidField"),
        ("price.amount", 12.345, "InvalidField"),
        ("price.amount", "twelve", "InvalidField"),
        ("price.currency", "EURO", "InvalidField"),
        ("price.currency", "eu", "InvalidField"),
        ("price.currency", "€UR", "InvalidField"),
        ("price.amount", " 5.00", "InvalidField"),
        ("price.amount", "1e2", "InvalidField"),
        ("price.amount", "\u0665", "InvalidField"),
        ("price.amount", "+5", "InvalidField"),
        ("price.amount", "0.00", "InvalidField"),
        ("price.currency", ..., "MissingField"),
        ("stock", -1, "InvalidField"),
        ("stock", 1.5, "InvalidField"),
        ("stock", "10", "InvalidField"),
        ("stock", True, "InvalidField"),
        ("description", "x" * 2001, "InvalidField"),
        ("tags", "beagle", "InvalidField"),
        ("tags", ["x" * 31], "InvalidField"),
        ("tags", [f"tag{i}" for i in range(21)], "InvalidField"),
        ("status", "deleted", "InvalidField"),
    ],
)
def test_create_refuses_each_invalid_field_with_422_naming_it(
    pets_table, rest_event, invoke, pet_body, field, value, code
):
    body = _with(pet_body, field, value)

    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="admin", body=body))

    assert response.status == 422
    error = response.body["error"]
    assert error["code"] == code
    assert error["field"] in {field, f"{field}[0]"}
    assert error["message"]


def test_an_invalid_element_of_a_list_is_named_with_its_index(
    pets_table, rest_event, invoke, pet_body
):
    pet_body["tags"] = ["fine", ""]

    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="admin", body=pet_body))

    assert response.status == 422
    assert response.body["error"]["field"] == "tags[1]"


def test_unknown_field_is_refused_with_422_naming_it(pets_table, rest_event, invoke, pet_body):
    pet_body["colour"] = "brown"

    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="admin", body=pet_body))

    assert response.status == 422
    unknown = {"code": "UnknownField", "message": "Unknown field 'colour'.", "field": "colour"}
    assert response.body["error"] == {**unknown, "problems": [unknown]}


def test_every_problem_of_a_body_is_reported_in_one_answer(
    pets_table, rest_event, invoke, pet_body
):
    pet_body["colour"] = "brown"
    pet_body["stock"] = -1
    del pet_body["name"]

    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="admin", body=pet_body))

    assert response.status == 422
    error = response.body["error"]
    assert [(p["code"], p["field"]) for p in error["problems"]] == [
        ("UnknownField", "colour"),
        ("MissingField", "name"),
        ("InvalidField", "stock"),
    ]
    assert (error["code"], error["field"]) == ("UnknownField", "colour")
    assert all(p["message"] in error["message"] for p in error["problems"])


def test_a_lower_case_currency_is_taken_in_upper_case(pets_table, rest_event, invoke, pet_body):
    pet_body["price"] = {"amount": 100, "currency": "eur"}

    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="admin", body=pet_body))

    assert response.status == 201, response.body
    assert response.body["price"] == {"amount": "100.00", "currency": "EUR"}


def test_unknown_nested_field_is_named_with_its_path(pets_table, rest_event, invoke, pet_body):
    pet_body["price"]["discount"] = "5"

    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="admin", body=pet_body))

    assert response.status == 422
    assert response.body["error"]["field"] == "price.discount"


def test_a_misspelt_field_is_reported_as_unknown_rather_than_as_missing(
    pets_table, rest_event, invoke, pet_body
):
    pet_body["prise"] = pet_body.pop("price")

    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="admin", body=pet_body))

    assert response.body["error"]["code"] == "UnknownField"
    assert response.body["error"]["field"] == "prise"


@pytest.mark.parametrize(
    "raw_body",
    [
        '{"name": "Rex",',
        "not json at all",
        '{"name": NaN}',
        '{"stock": Infinity}',
        "[" * 100_000 + "]" * 100_000,
        '{"stock": ' + "9" * 5000 + "}",
    ],
    ids=["truncated", "prose", "nan", "infinity", "deeply-nested", "huge-integer"],
)
def test_body_that_is_not_usable_json_is_400_malformed_json(
    pets_table, rest_event, invoke, raw_body
):
    event = rest_event("POST", "/pets", caller="admin", raw_body=raw_body)

    response = invoke(handle_create_pet, event)

    assert response.status == 400
    assert response.body["error"]["code"] == "MalformedJson"


@pytest.mark.parametrize("raw_body", ["[1, 2]", '"a string"', "42", "null"])
def test_json_that_is_not_an_object_is_refused_with_4xx(pets_table, rest_event, invoke, raw_body):
    event = rest_event("POST", "/pets", caller="admin", raw_body=raw_body)

    response = invoke(handle_create_pet, event)

    assert 400 <= response.status < 500
    assert response.body["error"]["code"]


def test_deeply_nested_value_inside_a_valid_body_is_refused_with_4xx(
    pets_table, rest_event, invoke, pet_body
):
    nested: Any = "leaf"
    for _ in range(500):
        nested = {"child": nested}
    pet_body["description"] = nested

    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="admin", body=pet_body))

    assert response.status == 422
    assert response.body["error"]["field"] == "description"


def test_huge_body_is_refused_with_413(pets_table, rest_event, invoke, pet_body):
    pet_body["description"] = "x" * 1_000_000

    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="admin", body=pet_body))

    assert response.status == 413
    assert response.body["error"]["code"] == "PayloadTooLarge"


def test_body_sent_as_another_media_type_is_415(pets_table, rest_event, invoke, pet_body):
    event = rest_event(
        "POST", "/pets", caller="admin", body=pet_body, headers={"Content-Type": "text/plain"}
    )

    response = invoke(handle_create_pet, event)

    assert response.status == 415
    assert response.body["error"]["code"] == "UnsupportedMediaType"


def test_missing_body_is_422(pets_table, rest_event, invoke):
    response = invoke(handle_create_pet, rest_event("POST", "/pets", caller="admin"))

    assert response.status == 422


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"status": "deleted"}, "status"),
        ({"species": "dog#2026"}, "species"),
    ],
)
def test_listing_refuses_bad_query_parameters_naming_them(
    pets_table, rest_event, invoke, query, field
):
    response = invoke(handle_list_pets, rest_event("GET", "/pets", query=query))

    assert response.status == 422
    assert response.body["error"]["field"] == field


def test_overlong_pet_id_is_refused_before_reaching_the_table(pets_table, rest_event, invoke):
    long_id = "p" * 2000
    event = rest_event("GET", f"/pets/{long_id}", resource="/pets/{petId}")

    response = invoke(handle_get_pet, event)

    assert response.status == 422
    assert response.body["error"]["field"] == "petId"


ORDER_ID = "5b0c2f4e-8d1a-4c3b-9e7f-2a6d1c0b9e8f"
"""An order id as the orders service writes one."""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 1}, "orderId"),
        ({"orderId": ORDER_ID}, "quantity"),
        ({"orderId": ORDER_ID, "quantity": 0}, "quantity"),
        ({"orderId": ORDER_ID, "quantity": "2"}, "quantity"),
        ({"orderId": "", "quantity": 1}, "orderId"),
        ({"orderId": "order 1", "quantity": 1}, "orderId"),
        ({"orderId": "order-1", "quantity": 1}, "orderId"),
        ({"orderId": ORDER_ID, "quantity": 1, "userId": "alice"}, "userId"),
    ],
)
def test_decrement_inventory_refuses_bad_bodies_naming_the_field(
    pets_table, rest_event, invoke, add_pet, body, field
):
    pet = add_pet()
    event = rest_event(
        "POST",
        f"/pets/{pet.id}/decrementInventory",
        resource="/pets/{petId}/decrementInventory",
        body=body,
    )

    response = invoke(handle_decrement_inventory, event)

    assert response.status == 422
    assert response.body["error"]["field"] == field
