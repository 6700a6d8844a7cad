"""What every service's API bodies share: camelCase JSON over snake_case Python, unknown
fields refused, whole numbers as JSON writes them, and one shape for a page of a
listing."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

ItemT = TypeVar("ItemT")


def _integral_number(value: object) -> object:
    """JSON does not tell 4 from 4.0, and JSON Schema's `integer` admits both: 4.0 (and
    4e0) is taken as 4, whether the body was parsed into a float or, as the API parses
    it, a Decimal. Text, booleans and fractions are still refused by the strict check."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


WHOLE_NUMBER = BeforeValidator(_integral_number)
"""Last in a strict int field's metadata, after its bounds (so that they still show in
the JSON Schema): the field takes 4 or 4.0, never "4", true or 4.5."""


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
    )


class Page[ItemT](ApiModel):
    """One page of a listing; subclass it per item type so the API names the page."""

    items: list[ItemT]
    next_token: Annotated[str | None, WithJsonSchema({"type": "string"}, mode="serialization")] = (
        Field(
            default=None,
            exclude_if=lambda token: token is None,
            description="Pass as `nextToken` for the next page; absent on the last.",
        )
    )
