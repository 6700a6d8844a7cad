"""Every value the API document allows for a pet's species, price and counts is one the
models accept: a client built from /openapi.json is never refused with 422 for them."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orders.models import PlaceOrderRequest
from pets.models import AMOUNT_TEXT, PetDetails, PetReplacement, StockReservationRequest

DOCUMENTED = PetDetails.model_json_schema(mode="validation")
SPECIES_TEXT = DOCUMENTED["properties"]["species"]["pattern"]


def pet(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Rex",
        "species": "dog",
        "price": {"amount": "9.99", "currency": "EUR"},
        "stock": 3,
        **changes,
    }


@given(st.from_regex(AMOUNT_TEXT, fullmatch=True))
def test_every_amount_the_document_allows_as_text_is_accepted(amount: str) -> None:
    accepted = PetDetails.model_validate(pet(price={"amount": amount, "currency": "EUR"}))

    assert accepted.price.amount == Decimal(amount)


@given(st.integers(min_value=1, max_value=999_999_999_999))
def test_every_amount_the_document_allows_as_a_number_is_accepted(cents: int) -> None:
    amount = cents / 100  # a multiple of 0.01 above 0 and below 10,000,000,000

    accepted = PetDetails.model_validate(pet(price={"amount": amount, "currency": "EUR"}))

    assert accepted.price.amount == Decimal(str(amount))


@given(st.from_regex(SPECIES_TEXT, fullmatch=True).filter(lambda text: len(text) <= 50))
def test_every_species_the_document_allows_is_accepted_in_lower_case(species: str) -> None:
    accepted = PetDetails.model_validate(pet(species=species))

    assert accepted.species == species.strip().lower()
    assert re.fullmatch(r"[a-z0-9][a-z0-9 _-]*", accepted.species)


@given(st.integers(min_value=0, max_value=1_000_000))
def test_counts_written_as_4_point_0_are_taken_as_whole_numbers(count: int) -> None:
    replacement = PetReplacement.model_validate(pet(stock=float(count), version=float(count + 1)))
    reservation = StockReservationRequest.model_validate(
        {"orderId": str(uuid.uuid4()), "quantity": float(count % 1000 + 1)}
    )
    order = PlaceOrderRequest.model_validate(
        {"petId": "pet-1", "quantity": float(count % 10 + 1), "paymentToken": "tok_visa"}
    )

    assert (replacement.stock, replacement.version) == (count, count + 1)
    assert reservation.quantity == count % 1000 + 1
    assert order.quantity == count % 10 + 1
