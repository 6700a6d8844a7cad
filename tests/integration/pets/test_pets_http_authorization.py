"""Who may do what to pets, over real HTTP: reads are public, writes need the admin
group, and the internal decrement needs a SigV4 signature, never a shopper token."""

from __future__ import annotations

import json

import pytest
import requests
from pets_http import AddPet, Json, PetStoreClients, Reserve, error_of, reservation_request

from localcloud.apigateway.authorizers.sigv4 import sign_request
from localcloud.emulator.process import LOCAL_CREDENTIALS
from support.api_client import ApiClient

pytestmark = pytest.mark.integration


def pet_writes(client: ApiClient, pet_id: str, details: Json) -> list[requests.Response]:
    """The three admin routes, called by `client`: add, replace, delete."""
    return [
        client.post("/pets", details),
        client.put(f"/pets/{pet_id}", {**details, "stock": 0, "version": 1}),
        client.delete(f"/pets/{pet_id}"),
    ]


def test_reads_need_no_token(petstore: PetStoreClients, add_pet: AddPet) -> None:
    pet = add_pet()

    assert petstore.anonymous.get("/pets").json()["items"] == [pet]
    assert petstore.anonymous.get(f"/pets/{pet['id']}").json() == pet


def test_anonymous_writes_are_refused_by_the_authorizer(
    petstore: PetStoreClients, add_pet: AddPet, pet_details: Json
) -> None:
    pet = add_pet()

    answers = pet_writes(petstore.anonymous, pet["id"], pet_details)

    assert [answer.status_code for answer in answers] == [401, 401, 401]
    assert {answer.json()["error"]["code"] for answer in answers} == {"Unauthorized"}
    assert petstore.anonymous.get("/pets").json()["items"] == [pet]


def test_forged_token_is_refused_by_the_authorizer(
    petstore: PetStoreClients, pet_details: Json
) -> None:
    forged = ApiClient(petstore.anonymous.api_url, petstore.anonymous.region, "not.a.jwt")

    assert forged.post("/pets", pet_details).status_code == 401


def test_shopper_writes_are_forbidden(
    petstore: PetStoreClients, add_pet: AddPet, pet_details: Json
) -> None:
    pet = add_pet()

    answers = pet_writes(petstore.alice, pet["id"], pet_details)

    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert {error_of(answer)["code"] for answer in answers} == {"Forbidden"}
    assert petstore.anonymous.get("/pets").json()["items"] == [pet]


def test_admin_writes_succeed(
    petstore: PetStoreClients, add_pet: AddPet, pet_details: Json
) -> None:
    pet = add_pet()

    answers = pet_writes(petstore.admin, pet["id"], pet_details)

    assert [answer.status_code for answer in answers] == [201, 200, 204]


def test_decrement_refuses_shopper_tokens_and_unsigned_calls(
    petstore: PetStoreClients, add_pet: AddPet, reserve: Reserve
) -> None:
    pet = add_pet(stock=3)
    path = f"/pets/{pet['id']}/decrementInventory"
    body = reservation_request("order-1", 1)

    for caller in (petstore.alice, petstore.admin, petstore.anonymous):
        refused = caller.post(path, body)

        assert refused.status_code == 403, refused.text
        assert "message" in refused.json()["error"]
    assert petstore.anonymous.get(f"/pets/{pet['id']}").json()["stock"] == 3

    signed = reserve(pet["id"], "order-1", 1)

    assert signed.status_code == 200, signed.text
    assert petstore.anonymous.get(f"/pets/{pet['id']}").json()["stock"] == 2


def test_decrement_refuses_a_signature_made_with_the_wrong_secret(
    petstore: PetStoreClients, add_pet: AddPet
) -> None:
    pet = add_pet(stock=3)
    url = f"{petstore.anonymous.api_url}/pets/{pet['id']}/decrementInventory"
    body = json.dumps(reservation_request("order-1", 1)).encode()
    headers = sign_request(
        "POST",
        url,
        body,
        {"Content-Type": "application/json"},
        access_key=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        secret_key="not-the-secret",
        region=petstore.anonymous.region,
    )

    refused = requests.post(url, data=body, headers=headers, timeout=30)

    assert refused.status_code == 403
    assert petstore.anonymous.get(f"/pets/{pet['id']}").json()["stock"] == 3
