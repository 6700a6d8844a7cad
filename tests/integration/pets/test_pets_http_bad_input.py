"""Bad input to the pets routes over real HTTP: every validation rule is refused with a
4xx whose JSON error names the field, a body that is not JSON is 400, and nothing a
client sends, however large, deep or strange, produces a 5xx. Odd but valid text is
stored and returned exactly as sent."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from pets_http import AddPet, Json, PetStoreClients, error_of, valid_pet_details

from support.api_client import ApiClient

pytestmark = pytest.mark.integration

Case = tuple[str, Any, str]
"""(what is wrong, the request body, the field the error must name)."""


def with_details(**changes: Any) -> Json:
    return {**valid_pet_details(), **changes}


def without(name: str) -> Json:
    details = valid_pet_details()
    del details[name]
    return details


def with_price(**changes: Any) -> Json:
    return with_details(price={"amount": "450.00", "currency": "USD", **changes})


def price_without(name: str) -> Json:
    price = {"amount": "450.00", "currency": "USD"}
    del price[name]
    return with_details(price=price)


PET_DETAIL_RULES: list[Case] = [
    ("name missing", without("name"), "name"),
    ("name empty", with_details(name=""), "name"),
    ("name only blanks", with_details(name="   "), "name"),
    ("name too long", with_details(name="n" * 101), "name"),
    ("name not text", with_details(name=42), "name"),
    ("species missing", without("species"), "species"),
    ("species empty", with_details(species=""), "species"),
    ("species with the key separator", with_details(species="dog#cat"), "species"),
    ("species not starting alphanumeric", with_details(species="-dog"), "species"),
    ("species too long", with_details(species="s" * 51), "species"),
    ("price missing", without("price"), "price"),
    ("price not an object", with_details(price="450.00"), "price"),
    ("amount missing", price_without("amount"), "price.amount"),
    ("amount zero", with_price(amount="0"), "price.amount"),
    ("amount negative", with_price(amount="-1.00"), "price.amount"),
    ("amount in fractions of a cent", with_price(amount="1.001"), "price.amount"),
    ("amount too many digits", with_price(amount="12345678901.00"), "price.amount"),
    ("amount not a number", with_price(amount="cheap"), "price.amount"),
    ("amount not finite", with_price(amount="Infinity"), "price.amount"),
    ("currency missing", price_without("currency"), "price.currency"),
    ("currency with a digit", with_price(currency="US1"), "price.currency"),
    ("currency not three letters", with_price(currency="US"), "price.currency"),
    ("unknown price field", with_price(discount="10"), "price.discount"),
    ("stock missing", without("stock"), "stock"),
    ("stock negative", with_details(stock=-1), "stock"),
    ("stock above a million", with_details(stock=1_000_001), "stock"),
    ("stock as text", with_details(stock="3"), "stock"),
    ("stock as a boolean", with_details(stock=True), "stock"),
    ("stock fractional", with_details(stock=1.5), "stock"),
    ("stock null", with_details(stock=None), "stock"),
    ("description too long", with_details(description="d" * 2001), "description"),
    ("description not text", with_details(description=["long"]), "description"),
    ("tags not a list", with_details(tags="puppy"), "tags"),
    ("more than twenty tags", with_details(tags=[f"t{n}" for n in range(21)]), "tags"),
    ("tag empty", with_details(tags=["puppy", ""]), "tags[1]"),
    ("tag too long", with_details(tags=["t" * 31]), "tags[0]"),
    ("status unknown", with_details(status="lost"), "status"),
    ("status of a deleted pet", with_details(status="deleted"), "status"),
    ("unknown field", with_details(ownerId="alice"), "ownerId"),
]

VERSION_RULES: list[Case] = [
    ("version missing", valid_pet_details(), "version"),
    ("version zero", with_details(version=0), "version"),
    ("version as text", with_details(version="1"), "version"),
    ("version fractional", with_details(version=1.5), "version"),
]

ORDER_ID = "5b0c2f4e-8d1a-4c3b-9e7f-2a6d1c0b9e8f"
"""An order id as the orders service writes one."""

RESERVATION_RULES: list[Case] = [
    ("orderId missing", {"quantity": 1}, "orderId"),
    ("orderId empty", {"orderId": "", "quantity": 1}, "orderId"),
    ("orderId with spaces", {"orderId": "order 1", "quantity": 1}, "orderId"),
    ("orderId too long", {"orderId": "o" * 101, "quantity": 1}, "orderId"),
    ("orderId not text", {"orderId": 7, "quantity": 1}, "orderId"),
    ("orderId not a UUID", {"orderId": "order-1", "quantity": 1}, "orderId"),
    ("quantity missing", {"orderId": ORDER_ID}, "quantity"),
    ("quantity zero", {"orderId": ORDER_ID, "quantity": 0}, "quantity"),
    ("quantity above a thousand", {"orderId": ORDER_ID, "quantity": 1001}, "quantity"),
    ("quantity as text", {"orderId": ORDER_ID, "quantity": "1"}, "quantity"),
    ("unknown field", {"orderId": ORDER_ID, "quantity": 1, "userId": "alice"}, "userId"),
]

LISTING_QUERY_RULES: list[Case] = [
    ("limit zero", {"limit": 0}, "limit"),
    ("limit above a hundred", {"limit": 101}, "limit"),
    ("limit not a number", {"limit": "ten"}, "limit"),
    ("status unknown", {"status": "lost"}, "status"),
    ("species with the key separator", {"species": "cat#2026"}, "species"),
    ("nextToken not issued here", {"nextToken": "bm90LWEtdG9rZW4"}, "nextToken"),
]

MALFORMED_BODIES = [
    "{",
    '{"name": "Biscuit",}',
    "{'name': 'Biscuit'}",
    "name=Biscuit",
    '{"stock": NaN}',
    '{"stock": ' + "9" * 5000 + "}",
    "[" * 100_000 + "]" * 100_000,
    '{"tags": ' + "[" * 100_000 + "]" * 100_000 + "}",
]

STRANGE_TEXT = {
    "name": "Ñandú 🐦‍⬛ 名前 \u202eevil\u202c ' OR '1'='1' --",
    "description": (
        "<script>alert(1)</script> ${jndi:ldap://example.com/x} {{7*7}} "
        '"; DROP TABLE pets; -- \\ \\" \x00 \u0007 \n\t\r %s %n \U0001f600 '
        '{"$gt": ""} ../../etc/passwd'
    ),
    "tags": ["'; --", "😀", "<b>", "%00", "a\u0301", "\\u0000"],
}


def refusals(answers: list[tuple[str, requests.Response, str]]) -> list[str]:
    """What differs from a 4xx naming the expected field, one line per case."""
    wrong = []
    for case, answer, field in answers:
        if not 400 <= answer.status_code < 500:
            wrong.append(f"{case}: status {answer.status_code}: {answer.text[:200]}")
        elif error_of(answer).get("field") != field:
            wrong.append(f"{case}: names {error_of(answer).get('field')!r}, not {field!r}")
    return wrong


def test_every_rule_of_a_new_pet_is_refused_naming_its_field(
    petstore: PetStoreClients,
) -> None:
    answers = [
        (case, petstore.admin.post("/pets", body), field) for case, body, field in PET_DETAIL_RULES
    ]

    assert refusals(answers) == []
    assert {answer.status_code for _, answer, _ in answers} == {422}
    assert petstore.anonymous.get("/pets").json()["items"] == []


def test_every_rule_of_a_replacement_is_refused_naming_its_field(
    petstore: PetStoreClients, add_pet: AddPet
) -> None:
    pet = add_pet()
    path = f"/pets/{pet['id']}"
    cases = VERSION_RULES + [
        (case, {**body, "version": 1}, field) for case, body, field in PET_DETAIL_RULES
    ]

    answers = [(case, petstore.admin.put(path, body), field) for case, body, field in cases]

    assert refusals(answers) == []
    assert petstore.anonymous.get(path).json() == pet


def test_every_rule_of_a_reservation_is_refused_naming_its_field(
    petstore: PetStoreClients, add_pet: AddPet
) -> None:
    pet = add_pet(stock=3)
    path = f"/pets/{pet['id']}/decrementInventory"

    answers = [
        (case, petstore.anonymous.signed("POST", path, body), field)
        for case, body, field in RESERVATION_RULES
    ]

    assert refusals(answers) == []
    assert petstore.anonymous.get(f"/pets/{pet['id']}").json()["stock"] == 3


def test_every_rule_of_the_listing_query_and_path_is_refused_naming_its_field(
    petstore: PetStoreClients, pet_details: Json
) -> None:
    long_id = "p" * 101
    answers = [
        (case, petstore.anonymous.get("/pets", params=query), field)
        for case, query, field in LISTING_QUERY_RULES
    ]
    answers += [
        ("read with a petId too long", petstore.anonymous.get(f"/pets/{long_id}"), "petId"),
        (
            "replace with a petId too long",
            petstore.admin.put(f"/pets/{long_id}", {**pet_details, "version": 1}),
            "petId",
        ),
        ("delete with a petId too long", petstore.admin.delete(f"/pets/{long_id}"), "petId"),
        (
            "reserve with a petId too long",
            petstore.anonymous.signed(
                "POST", f"/pets/{long_id}/decrementInventory", {"orderId": ORDER_ID, "quantity": 1}
            ),
            "petId",
        ),
    ]

    assert refusals(answers) == []


def test_a_body_that_is_not_json_is_400_on_every_write(
    petstore: PetStoreClients, add_pet: AddPet
) -> None:
    pet = add_pet()
    routes = [("POST", "/pets"), ("PUT", f"/pets/{pet['id']}")]

    for body in MALFORMED_BODIES:
        for method, path in routes:
            answer = petstore.admin.request(method, path, body)

            assert answer.status_code == 400, (method, body[:40], answer.text)
            assert error_of(answer)["code"] == "MalformedJson"
    assert petstore.anonymous.get("/pets").json()["items"] == [pet]


def test_a_body_that_is_not_an_object_is_refused_without_a_5xx(
    petstore: PetStoreClients, add_pet: AddPet
) -> None:
    pet = add_pet()
    bodies = ["", "null", "[]", '"pet"', "42", "true", "{}"]
    routes = [("POST", "/pets"), ("PUT", f"/pets/{pet['id']}")]

    for body in bodies:
        for method, path in routes:
            answer = petstore.admin.request(method, path, body)

            assert answer.status_code in (400, 422), (method, body, answer.text)
            assert "error" in answer.json()


def test_huge_bodies_are_refused_with_413(petstore: PetStoreClients) -> None:
    over_the_function_limit = with_details(description="d" * 300_000)
    over_the_gateway_quota = b"{" + b" " * (11 * 1024 * 1024) + b"}"

    refused_by_function = petstore.admin.post("/pets", over_the_function_limit)
    refused_by_gateway = petstore.admin.post("/pets", over_the_gateway_quota)

    assert refused_by_function.status_code == 413
    assert error_of(refused_by_function)["code"] == "PayloadTooLarge"
    assert refused_by_gateway.status_code == 413
    assert petstore.anonymous.get("/pets").json()["items"] == []


def test_deep_but_parseable_nesting_is_refused_naming_the_field(
    petstore: PetStoreClients,
) -> None:
    nested_tag = "[" * 500 + '"puppy"' + "]" * 500
    body = '{"name": "Biscuit", "species": "dog", "stock": 1, '
    body += '"price": {"amount": "1.00", "currency": "USD"}, "tags": [' + nested_tag + "]}"

    answer = petstore.admin.post("/pets", body)

    assert answer.status_code == 422, answer.text
    assert error_of(answer)["field"] == "tags[0]"


def test_strange_text_is_stored_and_returned_verbatim(
    petstore: PetStoreClients, pet_details: Json
) -> None:
    created = petstore.admin.post("/pets", {**pet_details, **STRANGE_TEXT})

    assert created.status_code == 201, created.text
    pet = created.json()
    assert {key: pet[key] for key in STRANGE_TEXT} == STRANGE_TEXT
    assert petstore.anonymous.get(f"/pets/{pet['id']}").json() == pet
    assert petstore.anonymous.get("/pets").json()["items"] == [pet]


def test_injection_looking_ids_and_queries_are_just_not_found(
    petstore: PetStoreClients, add_pet: AddPet
) -> None:
    add_pet()
    client: ApiClient = petstore.anonymous
    reads = [
        "/pets/' OR '1'='1",
        "/pets/%2A",
        "/pets/PET%23x",
        "/pets/..%2F..%2Fetc%2Fpasswd",
        "/pets/%F0%9F%90%B6",
        "/pets/$%7B7*7%7D",
    ]

    for path in reads:
        answer = client.get(path)

        assert answer.status_code == 404, (path, answer.text)
    listing = client.get("/pets", params={"species": "dog' OR '1'='1"})
    assert listing.status_code == 422
    assert error_of(listing)["field"] == "species"
    assert client.get("/pets", params={"species": "dragon"}).json()["items"] == []


def test_a_body_that_is_not_utf8_is_refused_naming_the_fields(petstore: PetStoreClients) -> None:
    # API Gateway hands a body of a type not in BinaryMediaTypes on as text, the bytes
    # that are not UTF-8 replaced by U+FFFD: the handler sees valid JSON, short of fields.
    answer = petstore.admin.post("/pets", b'{"name": "\xff\xfe"}')

    assert answer.status_code == 422, answer.text
    assert error_of(answer)["code"] == "MissingField"
