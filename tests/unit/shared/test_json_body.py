"""Request bodies: exact decimals, and every kind of unusable JSON reported as a
decode error (which the API answers with 400), never another exception."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from petstore_shared.domain_errors import PayloadTooLarge
from petstore_shared.json_body import MAX_JSON_BODY_CHARS, parse_json_body


def test_decimals_are_kept_exactly_as_sent():
    assert parse_json_body('{"amount": 0.1}') == {"amount": Decimal("0.1")}
    assert parse_json_body('{"amount": 19.999999999999999999}') == {
        "amount": Decimal("19.999999999999999999")
    }


@pytest.mark.parametrize(
    "text",
    [
        '{"a": NaN}',
        '{"a": -Infinity}',
        "[" * 100_000,
        "[" * 50_000 + "]" * 50_000,
        "9" * 5000,
        '{"a": 1,}',
    ],
    ids=["nan", "infinity", "unclosed-deep", "deep", "huge-integer", "trailing-comma"],
)
def test_unusable_json_raises_a_decode_error(text):
    with pytest.raises(json.JSONDecodeError):
        parse_json_body(text)


def test_a_body_over_the_size_limit_is_payload_too_large():
    with pytest.raises(PayloadTooLarge):
        parse_json_body(" " * (MAX_JSON_BODY_CHARS + 1))
