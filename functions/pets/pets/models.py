"""The pets service's models, shared by its API (request and response bodies) and its
use cases. JSON names are camelCase; Python names are snake_case."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_serializer,
    model_validator,
)

from petstore_shared.api_models import WHOLE_NUMBER, ApiModel, Page
from petstore_shared.money import WRITTEN_AMOUNT, has_fraction_below_minor_unit, written_amount


class PetStatus(StrEnum):
    AVAILABLE = "available"
    PENDING = "pending"
    SOLD = "sold"


class ReservationState(StrEnum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"


class ReleaseOutcome(StrEnum):
    RELEASED = "RELEASED"
    """The reservation's stock went back to the pet."""
    ALREADY_RELEASED = "ALREADY_RELEASED"
    """Nothing changed: this order's stock was released before."""
    RELEASED_BEFORE_RESERVE = "RELEASED_BEFORE_RESERVE"
    """No reservation yet: a tombstone now refuses any later reserve for the order."""


SPECIES_MAX_LENGTH = 50


def _lower_case(value: object) -> object:
    """Before the pattern check, which StringConstraints would run before its own to_lower.
    Text longer than documented, spaces included, is left as it is for the length check
    to refuse."""
    if isinstance(value, str) and len(value) <= SPECIES_MAX_LENGTH:
        return value.strip(" ").lower()
    return value


SPACES = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
"""White space as JSON Schema's (ECMAScript's) `\\s` knows it, written as a regex class
body, so that the document and the check agree on every character."""
_AROUND_SPACES = re.compile(f"^[{SPACES}]+|[{SPACES}]+$")


def _trimmed(max_length: int) -> BeforeValidator:
    """Text kept without the spaces around it, holding something besides spaces, at most
    `max_length` characters as sent (spaces included, as the document counts them)."""

    def trimmed(value: object) -> object:
        if not isinstance(value, str):
            return value
        if len(value) > max_length:
            raise ValueError(f"String should have at most {max_length} characters")
        kept = _AROUND_SPACES.sub("", value)
        if not kept:
            raise ValueError("String should hold more than spaces")
        return kept

    return BeforeValidator(trimmed)


def _trimmed_schema(max_length: int) -> WithJsonSchema:
    """What the document says of a `_trimmed` text."""
    return WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": f"[^{SPACES}]"},
        mode="validation",
    )


PetName = Annotated[str, _trimmed(100), _trimmed_schema(100)]
Species = Annotated[
    str,
    BeforeValidator(_lower_case),
    StringConstraints(
        min_length=1,
        max_length=SPECIES_MAX_LENGTH,
        # `#` separates the parts of the listing index's sort key, so it cannot appear here.
        pattern=r"^[a-z0-9][a-z0-9 _-]*$",
    ),
    # What a request may send: any case, and spaces around it, which are dropped.
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": SPECIES_MAX_LENGTH,
            "pattern": r"^ *[A-Za-z0-9][A-Za-z0-9 _-]* *$",
        },
        mode="validation",
    ),
]
Tag = Annotated[str, _trimmed(30), _trimmed_schema(30)]
OrderId = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
    Field(description="The id the orders service gave the order: a lower-case UUID."),
]
Stock = Annotated[int, Field(strict=True, ge=0, le=1_000_000), WHOLE_NUMBER]


AMOUNT_TEXT = r"^(?:[1-9][0-9]{0,9}(?:\.[0-9]{1,2})?|0\.(?:[1-9][0-9]?|0[1-9]))$"
"""An amount a request may write as text: plain ASCII digits above zero, at most 10
before the point and 2 after it ("450", "450.5", "0.05"); no sign, exponent, spaces or
other scripts' digits."""
AMOUNT_LIMIT = 10_000_000_000


def _amount_as_documented(value: object) -> object:
    """Text is held to AMOUNT_TEXT before it becomes a Decimal, which would also take
    " 5.00", "1e2" or Arabic-Indic digits; booleans are not numbers."""
    if isinstance(value, bool) or (isinstance(value, str) and not re.fullmatch(AMOUNT_TEXT, value)):
        raise ValueError(
            'write the amount as digits above zero with at most two decimals, e.g. "450.00"'
        )
    return value


def _currency_code(value: object) -> object:
    """ISO 4217 codes in any case, kept in upper case (as species is kept in lower case)."""
    return value.upper() if isinstance(value, str) and re.fullmatch("[A-Za-z]{3}", value) else value


class Money(ApiModel):
    """A price. Amounts are written back with the currency's minor units ("450.00")."""

    amount: Annotated[
        Decimal,
        BeforeValidator(_amount_as_documented),
        Field(gt=0, lt=AMOUNT_LIMIT, max_digits=12, decimal_places=2),
        WithJsonSchema(
            {
                "anyOf": [
                    {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "exclusiveMaximum": AMOUNT_LIMIT,
                        "multipleOf": 0.01,
                    },
                    {"type": "string", "pattern": AMOUNT_TEXT},
                ],
                "description": (
                    "Above zero, at most two decimals; whole in a currency without minor "
                    "units (JPY, KRW, ...)."
                ),
            },
            mode="validation",
        ),
        WithJsonSchema(
            {"type": "string", "pattern": WRITTEN_AMOUNT, "examples": ["450.00"]},
            mode="serialization",
        ),
    ]
    currency: Annotated[
        str,
        BeforeValidator(_currency_code),
        Field(pattern=r"^[A-Z]{3}$"),
        WithJsonSchema(
            {"type": "string", "pattern": "^[A-Za-z]{3}$", "description": "ISO 4217, any case"},
            mode="validation",
        ),
        WithJsonSchema(
            {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code"},
            mode="serialization",
        ),
    ]

    @model_validator(mode="after")
    def _whole_in_currency_without_minor_units(self) -> Money:
        if has_fraction_below_minor_unit(self.amount, self.currency):
            raise ValueError(f"{self.currency} amounts have no decimals")
        return self

    @field_serializer("amount", when_used="json")
    def _write_amount(self, amount: Decimal) -> str:
        return written_amount(amount, self.currency)


class PetDetails(ApiModel):
    """What an admin says about a pet when adding or replacing it."""

    name: PetName
    species: Species
    price: Money
    stock: Stock
    description: Annotated[str | None, Field(max_length=2000)] = None
    tags: Annotated[list[Tag], Field(max_length=20)] = Field(default=[])
    status: PetStatus = PetStatus.AVAILABLE


class PetReplacement(PetDetails):
    version: Annotated[int, Field(strict=True, ge=1), WHOLE_NUMBER] = Field(
        description="The version the change is based on, as last read."
    )


class Pet(PetDetails):
    id: str
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_details(
        cls,
        details: PetDetails,
        *,
        pet_id: str,
        version: int,
        created_at: datetime,
        updated_at: datetime,
    ) -> Pet:
        described = {name: getattr(details, name) for name in PetDetails.model_fields}
        return cls(
            **described,
            id=pet_id,
            version=version,
            created_at=created_at,
            updated_at=updated_at,
        )


class PetPage(Page[Pet]):
    pass


class HoldState(StrEnum):
    HELD = "HELD"
    """Stock taken from the pet until the hold expires, is released or is taken over."""
    TAKEN_OVER = "TAKEN_OVER"
    """The order's saga reserved the stock: it is the order's now, released with it."""
    RELEASED = "RELEASED"
    """Its caller released it: the stock went back to the pet."""
    EXPIRED = "EXPIRED"
    """It expired and its stock went back to the pet, or will when a reservation needs it."""


HOLD_SECONDS_DEFAULT = 300
HOLD_SECONDS_MAX = 900


class StockReservationRequest(ApiModel):
    order_id: OrderId
    quantity: Annotated[int, Field(strict=True, ge=1, le=1000), WHOLE_NUMBER]
    hold_seconds: Annotated[
        int,
        Field(
            strict=True,
            ge=1,
            le=HOLD_SECONDS_MAX,
            description="How long the stock is held if the order's saga does not take it over.",
        ),
        WHOLE_NUMBER,
    ] = HOLD_SECONDS_DEFAULT


class HoldReleaseRequest(ApiModel):
    order_id: OrderId


class InventoryHold(ApiModel):
    """Stock an internal caller took for an order, until the order's saga takes it over
    (order.placed) or the hold is released or expires."""

    pet_id: str
    order_id: str
    quantity: int
    state: HoldState
    holder: str = Field(description="The IAM identity (user ARN) that asked for the hold.")
    held_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None


class Reservation(ApiModel):
    """Stock held for one order (or, once RELEASED, no longer held)."""

    pet_id: str
    order_id: str
    quantity: int
    state: ReservationState
    reserved_at: datetime | None = None
    released_at: datetime | None = None
