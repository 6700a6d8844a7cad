"""How the pet store writes an amount of money: always with its currency's minor units
(ISO 4217), as "100.00 USD" and "1500 JPY", never "1E+2"."""

from __future__ import annotations

from decimal import Decimal

ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND"}
    | {"VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
WRITTEN_AMOUNT = r"^(?:0|[1-9][0-9]{0,9})(?:\.[0-9]{2,3})?$"
"""What an amount looks like as the API and the events write it."""


def minor_units(currency: str) -> int:
    """Digits after the point in the currency's amounts; 2 for every other code."""
    if currency in ZERO_DECIMAL_CURRENCIES:
        return 0
    if currency in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def written_amount(amount: Decimal, currency: str) -> str:
    """The amount in plain digits with exactly the currency's minor units."""
    return f"{amount.quantize(Decimal(1).scaleb(-minor_units(currency))):f}"


def has_fraction_below_minor_unit(amount: Decimal, currency: str) -> bool:
    """True when writing the amount in the currency's minor units would round it."""
    return amount != amount.quantize(Decimal(1).scaleb(-minor_units(currency)))
