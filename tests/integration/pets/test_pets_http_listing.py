"""GET /pets a page at a time over real HTTP: every pet exactly once, in a stable order,
with a token only where another page follows, and tokens that only continue the listing
that issued them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from pets_http import AddPet, Json, PetStoreClients, error_of

from support.api_client import ApiClient

pytestmark = pytest.mark.integration


def all_pages(client: ApiClient, **query: Any) -> list[list[Json]]:
    """The listing's pages, following `nextToken` until a page has none."""
    pages: list[list[Json]] = []
    params = dict(query)
    while True:
        answer = client.get("/pets", params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        pages.append(page["items"])
        if "nextToken" not in page:
            return pages
        assert len(pages) < 50, "the listing does not end"
        params["nextToken"] = page["nextToken"]


def ids(pets: list[Json]) -> list[str]:
    return [pet["id"] for pet in pets]


@pytest.fixture
def cats_and_dogs(add_pet: AddPet) -> tuple[list[Json], list[Json]]:
    """Seven cats and five dogs, added alternately, in the order they were added."""
    cats: list[Json] = []
    dogs: list[Json] = []
    for number in range(12):
        if number % 2 and len(dogs) < 5:
            dogs.append(add_pet(name=f"Dog {number}", species="dog"))
        else:
            cats.append(add_pet(name=f"Cat {number}", species="cat"))
    return cats, dogs


def test_paging_through_three_pages_returns_every_pet_exactly_once_in_order(
    petstore: PetStoreClients, cats_and_dogs: tuple[list[Json], list[Json]]
) -> None:
    cats, dogs = cats_and_dogs

    pages = all_pages(petstore.anonymous, limit=5)

    assert [len(page) for page in pages] == [5, 5, 2]
    listed = [pet for page in pages for pet in page]
    assert ids(listed) == ids(cats + dogs)  # species, then date added
    assert listed == cats + dogs


def test_paging_within_one_species_and_an_exact_multiple_of_the_limit(
    petstore: PetStoreClients, cats_and_dogs: tuple[list[Json], list[Json]]
) -> None:
    cats, dogs = cats_and_dogs

    cat_pages = all_pages(petstore.anonymous, species="cat", limit=3)
    dog_pages = all_pages(petstore.anonymous, species="dog", limit=5)

    assert [len(page) for page in cat_pages] == [3, 3, 1]
    assert ids([pet for page in cat_pages for pet in page]) == ids(cats)
    assert [ids(page) for page in dog_pages] == [ids(dogs)]  # no empty page after a full one


def test_pets_changed_between_pages_are_neither_lost_nor_repeated(
    petstore: PetStoreClients, add_pet: AddPet, pet_details: Json
) -> None:
    pets = [add_pet(name=f"Pet {number}") for number in range(6)]
    first = petstore.anonymous.get("/pets", params={"limit": 2}).json()
    petstore.admin.put(f"/pets/{pets[4]['id']}", {**pet_details, "stock": 9, "version": 1})

    rest = all_pages(petstore.anonymous, limit=2, nextToken=first["nextToken"])

    listed = first["items"] + [pet for page in rest for pet in page]
    assert ids(listed) == ids(pets)
    assert listed[4]["stock"] == 9


def test_a_token_only_continues_the_listing_that_issued_it(
    petstore: PetStoreClients, cats_and_dogs: tuple[list[Json], list[Json]]
) -> None:
    token = petstore.anonymous.get("/pets", params={"species": "cat", "limit": 2}).json()[
        "nextToken"
    ]
    document = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    other_partition = {**document, "gsi1pk": "STATUS#sold"}
    forged = base64.urlsafe_b64encode(json.dumps(other_partition).encode()).decode()

    refusals = [
        {"species": "dog", "nextToken": token},
        {"status": "sold", "species": "cat", "nextToken": token},
        {"species": "cat", "nextToken": forged},
        {"nextToken": "not-a-token"},
        {"nextToken": "x" * 3000},
    ]

    for query in refusals:
        answer = petstore.anonymous.get("/pets", params=query)

        assert answer.status_code == 400, (query, answer.text)
        assert error_of(answer)["code"] == "InvalidNextToken"
        assert error_of(answer)["field"] == "nextToken"
