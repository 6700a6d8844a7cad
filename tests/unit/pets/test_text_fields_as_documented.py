"""Names, tags and species are checked exactly as the document describes them: lengths
count the text as sent, spaces included, and "spaces" are JSON Schema's white space."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pets.models import PetDetails

DOCUMENTED = PetDetails.model_json_schema(mode="validation")["properties"]
NAME = DOCUMENTED["name"]


def pet(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Rex",
        "species": "dog",
        "price": {"amount": "9.99", "currency": "EUR"},
        "stock": 3,
        **changes,
    }


@given(st.text(min_size=NAME["minLength"], max_size=NAME["maxLength"]))
def test_a_name_is_accepted_exactly_when_the_document_allows_it(name: str) -> None:
    documented = re.search(NAME["pattern"], name) is not None
    try:
        PetDetails.model_validate(pet(name=name))
        accepted = True
    except ValidationError:
        accepted = False

    assert accepted == documented


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", " " + "x" * 100),
        ("tags", ["x" * 30 + " "]),
        ("species", " " + "d" * 50),
        ("species", "\tdog"),
        ("name", "\u3000\ufeff"),
    ],
)
def test_text_the_document_refuses_is_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        PetDetails.model_validate(pet(**{field: value}))


def test_spaces_around_text_are_dropped() -> None:
    details = PetDetails.model_validate(pet(name="\u00a0Rex ", tags=[" a\t"], species=" DOG "))

    assert (details.name, details.tags, details.species) == ("Rex", ["a"], "dog")
