"""What every service's API bodies share: camelCase JSON over snake_case Python, unknown
fields refused, and one shape for a page of a listing."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

ItemT = TypeVar("ItemT")


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
    )


class Page(ApiModel, Generic[ItemT]):
    """One page of a listing; subclass it per item type so the API names the page."""

    items: list[ItemT]
    next_token: str | None = Field(
        default=None, description="Pass as `nextToken` for the next page; absent on the last."
    )
