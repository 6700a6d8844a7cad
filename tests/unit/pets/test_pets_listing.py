"""GET /pets: a Query on the byStatus index, paginated with an opaque nextToken."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from pets.dal.pets_table import LISTING_INDEX
from pets.handlers import handle_list_pets
from pets.logic.delete_pet import delete_pet


def _list(rest_event: Any, invoke: Any, **query: str) -> Any:
    return invoke(handle_list_pets, rest_event("GET", "/pets", query=query or None))


def _all_pages(rest_event: Any, invoke: Any, **query: str) -> list[list[dict[str, Any]]]:
    pages = []
    next_token = None
    while True:
        params = dict(query, **({"nextToken": next_token} if next_token else {}))
        response = _list(rest_event, invoke, **params)
        assert response.status == 200, response.body
        pages.append(response.body["items"])
        next_token = response.body.get("nextToken")
        if next_token is None:
            return pages


def test_paging_through_more_than_two_pages_returns_every_pet_exactly_once(
    pets_table, rest_event, invoke, add_pet
):
    added = {add_pet(name=f"Pet {n}", species=("cat", "dog")[n % 2]).id for n in range(23)}

    pages = _all_pages(rest_event, invoke, limit="5")

    listed = [pet["id"] for page in pages for pet in page]
    assert len(pages) == 5
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    assert len(listed) == len(set(listed))
    assert set(listed) == added


def test_a_page_that_ends_exactly_at_the_last_pet_carries_no_token(
    pets_table, rest_event, invoke, add_pet
):
    for n in range(4):
        add_pet(name=f"Pet {n}")

    pages = _all_pages(rest_event, invoke, limit="2")

    assert [len(page) for page in pages] == [2, 2]


def test_an_available_pet_out_of_stock_is_not_listed_and_pages_stay_full(
    pets_table, rest_event, invoke, add_pet
):
    stocked = []
    for n in range(9):
        pet = add_pet(name=f"Pet {n}", stock=0 if n % 3 else 1)
        if n % 3 == 0:
            stocked.append(pet.id)
    add_pet(name="Sold out, sold", stock=0, status="sold")

    pages = _all_pages(rest_event, invoke, limit="2")

    assert [len(page) for page in pages] == [2, 1]
    assert [pet["id"] for page in pages for pet in page] == stocked
    sold = _list(rest_event, invoke, status="sold").body["items"]
    assert [pet["name"] for pet in sold] == ["Sold out, sold"]


def test_order_is_species_then_date_added_and_repeats_identically(
    pets_table, rest_event, invoke, add_pet
):
    names_in_added_order = []
    for n, species in enumerate(["dog", "cat", "dog", "bird", "cat"]):
        add_pet(name=f"{species}-{n}", species=species)
        names_in_added_order.append(f"{species}-{n}")

    first = [pet["name"] for pet in _list(rest_event, invoke).body["items"]]
    second = [pet["name"] for pet in _list(rest_event, invoke).body["items"]]

    assert first == ["bird-3", "cat-1", "cat-4", "dog-0", "dog-2"]
    assert second == first


def test_species_filter_lists_only_that_species_case_insensitively(
    pets_table, rest_event, invoke, add_pet
):
    add_pet(name="Rex", species="dog")
    add_pet(name="Tom", species="cat")
    add_pet(name="Hot", species="dog-like")

    response = _list(rest_event, invoke, species="Dog")

    assert [pet["name"] for pet in response.body["items"]] == ["Rex"]


def test_status_filter_defaults_to_available(pets_table, rest_event, invoke, add_pet):
    add_pet(name="On sale")
    add_pet(name="Sold", status="sold")
    add_pet(name="Pending", status="pending")

    default = _list(rest_event, invoke).body["items"]
    sold = _list(rest_event, invoke, status="sold").body["items"]

    assert [pet["name"] for pet in default] == ["On sale"]
    assert [pet["name"] for pet in sold] == ["Sold"]


def test_deleted_pets_drop_out_of_the_listing(pets_table, rest_event, invoke, add_pet):
    kept = add_pet(name="Kept")
    gone = add_pet(name="Gone")

    delete_pet(gone.id)

    assert [pet["id"] for pet in _list(rest_event, invoke).body["items"]] == [kept.id]


def test_paging_with_a_species_filter_stays_within_the_species(
    pets_table, rest_event, invoke, add_pet
):
    dogs = {add_pet(name=f"Dog {n}", species="dog").id for n in range(7)}
    for n in range(7):
        add_pet(name=f"Cat {n}", species="cat")

    pages = _all_pages(rest_event, invoke, species="dog", limit="3")

    assert {pet["id"] for page in pages for pet in page} == dogs


def _token(document: Any) -> str:
    raw = json.dumps(document).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _key(**changes: Any) -> dict[str, Any]:
    """The listing key of pet p1 in the available dogs, with `changes` applied."""
    key: dict[str, Any] = {
        "pk": "PET#p1",
        "sk": "PET",
        "gsi1pk": "STATUS#available",
        "gsi1sk": "dog#2026-11-24T00:00:00.000000Z#p1",
    }
    key.update(changes)
    return {name: value for name, value in key.items() if value is not None}


@pytest.mark.parametrize(
    "token",
    [
        "not base64 at all!",
        "bm90IGpzb24",
        _token(["a", "list"]),
        _token(_key(gsi1sk=None)),
        _token({**_key(), "userId": "alice"}),
        _token(_key(gsi1pk="STATUS#sold")),
        _token(_key(sk="RESERVATION#order-1")),
        _token(_key(pk="PET#p2")),
        _token(_key(gsi1sk=7)),
        "A" * 5000,
    ],
    ids=[
        "not-base64",
        "not-json",
        "not-an-object",
        "missing-key",
        "extra-key",
        "other-status",
        "not-a-pet-item",
        "inconsistent-pet",
        "non-string",
        "oversized",
    ],
)
def test_tampered_next_token_is_400_naming_next_token(
    pets_table, rest_event, invoke, add_pet, token
):
    add_pet()

    response = _list(rest_event, invoke, nextToken=token)

    assert response.status == 400
    assert response.body["error"]["code"] == "InvalidNextToken"
    assert response.body["error"]["field"] == "nextToken"


def test_token_from_one_species_is_refused_for_another(pets_table, rest_event, invoke, add_pet):
    for n in range(3):
        add_pet(name=f"Dog {n}", species="dog")
    token = _list(rest_event, invoke, species="dog", limit="1").body["nextToken"]

    response = _list(rest_event, invoke, species="cat", nextToken=token)

    assert response.status == 400
    assert response.body["error"]["field"] == "nextToken"


def test_the_listing_index_is_the_one_the_template_declares(template_pets_table):
    indexes = template_pets_table["GlobalSecondaryIndexes"]

    assert [index["IndexName"] for index in indexes] == [LISTING_INDEX]
