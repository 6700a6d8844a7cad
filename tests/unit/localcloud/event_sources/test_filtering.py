"""Lambda event filtering (FilterCriteria) as AWS documents it: a record reaches the
function when any pattern matches it (patterns are ORed, a pattern's fields ANDed); an
SQS pattern reads the message `body` as JSON when it is JSON and as the string it is
otherwise; a DynamoDB pattern reads the record's `dynamodb` and `eventName` as the event
carries them; a pattern Lambda would refuse is refused up front, naming the rule."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from localcloud.event_sources.filtering import (
    FilterPatternError,
    filterable,
    matches_any,
    parse_patterns,
    with_data,
)


def patterns(*written: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Patterns as a template writes them: FilterCriteria with JSON strings."""
    return parse_patterns({"Filters": [{"Pattern": json.dumps(pattern)} for pattern in written]})


def sqs(body: str) -> dict[str, Any]:
    record = {"messageId": "m-1", "body": body, "eventSource": "aws:sqs"}
    return with_data(record, "body", body)


def stream(event_name: str, new_image: dict[str, Any] | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {"Keys": {"id": {"S": "o-1"}}, "SequenceNumber": "1"}
    if new_image is not None:
        change["NewImage"] = new_image
    return {"eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": change}


def test_no_filter_criteria_lets_every_record_through() -> None:
    assert parse_patterns(None) == ()
    assert matches_any((), sqs("anything"))


def test_an_sqs_pattern_matches_a_field_of_a_json_body() -> None:
    wanted = patterns({"body": {"RequestCode": ["BBBB"]}})

    assert matches_any(wanted, sqs('{"RecordNumber": 1234, "RequestCode": "BBBB"}'))
    assert not matches_any(wanted, sqs('{"RecordNumber": 1234, "RequestCode": "AAAA"}'))


def test_a_json_pattern_does_not_match_a_plain_string_body() -> None:
    wanted = patterns({"body": {"RequestCode": ["BBBB"]}})

    assert not matches_any(wanted, sqs("RequestCode BBBB"))


def test_a_plain_string_pattern_matches_a_plain_string_body() -> None:
    wanted = patterns({"body": ["order placed"]})

    assert matches_any(wanted, sqs("order placed"))
    assert not matches_any(wanted, sqs("order cancelled"))


def test_patterns_are_ored() -> None:
    wanted = patterns({"body": {"type": ["order.placed"]}}, {"body": {"type": ["pet.sold"]}})

    assert matches_any(wanted, sqs('{"type": "order.placed"}'))
    assert matches_any(wanted, sqs('{"type": "pet.sold"}'))
    assert not matches_any(wanted, sqs('{"type": "pet.listed"}'))


def test_the_fields_of_one_pattern_are_anded() -> None:
    wanted = patterns({"body": {"type": ["order.placed"], "region": ["eu"]}})

    assert matches_any(wanted, sqs('{"type": "order.placed", "region": "eu"}'))
    assert not matches_any(wanted, sqs('{"type": "order.placed", "region": "us"}'))
    assert not matches_any(wanted, sqs('{"type": "order.placed"}'))


def test_a_list_of_values_matches_any_one_of_them_exactly() -> None:
    wanted = patterns({"body": {"status": ["PAID", "SHIPPED"]}})

    assert matches_any(wanted, sqs('{"status": "SHIPPED"}'))
    assert not matches_any(wanted, sqs('{"status": "paid"}'))


def test_an_array_in_the_record_matches_when_any_element_does() -> None:
    wanted = patterns({"body": {"tags": ["urgent"]}})

    assert matches_any(wanted, sqs('{"tags": ["slow", "urgent"]}'))
    assert not matches_any(wanted, sqs('{"tags": ["slow"]}'))


def test_null_matches_a_null_value_but_not_a_missing_one() -> None:
    wanted = patterns({"body": {"note": [None]}})

    assert matches_any(wanted, sqs('{"note": null}'))
    assert not matches_any(wanted, sqs("{}"))


@pytest.mark.parametrize(
    ("rule", "matching", "other"),
    [
        ({"prefix": "order."}, "order.placed", "pet.sold"),
        ({"suffix": ".placed"}, "order.placed", "order.paid"),
        ({"anything-but": ["order.placed"]}, "order.paid", "order.placed"),
        ({"anything-but": "order.placed"}, "order.paid", "order.placed"),
    ],
    ids=["prefix", "suffix", "anything-but list", "anything-but value"],
)
def test_string_operators(rule: dict[str, Any], matching: str, other: str) -> None:
    wanted = patterns({"body": {"type": [rule]}})

    assert matches_any(wanted, sqs(json.dumps({"type": matching})))
    assert not matches_any(wanted, sqs(json.dumps({"type": other})))


def test_a_value_operator_never_matches_a_missing_field() -> None:
    for rule in ({"prefix": ""}, {"anything-but": ["x"]}):
        assert not matches_any(patterns({"body": {"type": [rule]}}), sqs("{}"))


def test_exists_matches_on_presence_or_absence() -> None:
    present = patterns({"body": {"coupon": [{"exists": True}]}})
    absent = patterns({"body": {"coupon": [{"exists": False}]}})

    assert matches_any(present, sqs('{"coupon": "X"}'))
    assert not matches_any(present, sqs("{}"))
    assert matches_any(absent, sqs("{}"))
    assert not matches_any(absent, sqs('{"coupon": "X"}'))


def test_a_dynamodb_pattern_matches_the_new_image_in_its_wire_shape() -> None:
    wanted = patterns({"dynamodb": {"NewImage": {"status": {"S": ["CONFIRMED"]}}}})

    assert matches_any(wanted, stream("MODIFY", {"status": {"S": "CONFIRMED"}}))
    assert not matches_any(wanted, stream("MODIFY", {"status": {"S": "PENDING"}}))
    assert not matches_any(wanted, stream("REMOVE"))


def test_a_dynamodb_pattern_matches_the_event_name_and_keys() -> None:
    wanted = patterns({"eventName": ["INSERT"], "dynamodb": {"Keys": {"id": {"S": ["o-1"]}}}})

    assert matches_any(wanted, stream("INSERT", {}))
    assert not matches_any(wanted, stream("REMOVE"))


def test_a_kafka_pattern_matches_the_value_read_as_json_and_the_metadata() -> None:
    record = {"topic": "orders", "partition": 0, "offset": 4, "key": "az", "headers": []}
    wanted = patterns({"topic": ["orders"], "value": {"type": ["order.placed"]}})

    assert matches_any(wanted, filterable(record, b'{"type": "order.placed"}'))
    assert not matches_any(wanted, filterable(record, b'{"type": "order.paid"}'))
    assert not matches_any(wanted, filterable(record, None))


def test_equals_ignore_case_matches_a_string_in_any_casing() -> None:
    wanted = patterns({"body": {"status": [{"equals-ignore-case": "paid"}]}})

    assert matches_any(wanted, sqs('{"status": "PAID"}'))
    assert not matches_any(wanted, sqs('{"status": "UNPAID"}'))


def test_empty_matches_an_empty_string_only() -> None:
    wanted = patterns({"body": {"note": [""]}})

    assert matches_any(wanted, sqs('{"note": ""}'))
    assert not matches_any(wanted, sqs('{"note": null}'))


@pytest.mark.parametrize(
    ("rule", "inside", "outside"),
    [
        (["=", 100], [100, 100.0], [99, "100"]),
        ([">", 10, "<=", 20], [10.5, 20], [10, 20.01]),
        ([">=", 10], [10, 11], [9.99, True]),
        (["<", 0], [-1], [0]),
    ],
    ids=["equals", "range", "at least", "below"],
)
def test_numeric_compares_json_numbers_only(
    rule: list[Any], inside: list[Any], outside: list[Any]
) -> None:
    wanted = patterns({"body": {"price": [{"numeric": rule}]}})

    for price in inside:
        assert matches_any(wanted, sqs(json.dumps({"price": price}))), price
    for price in outside:
        assert not matches_any(wanted, sqs(json.dumps({"price": price}))), price


def test_a_number_never_equals_its_string_or_a_boolean() -> None:
    assert not matches_any(patterns({"body": {"n": [1]}}), sqs('{"n": "1"}'))
    assert not matches_any(patterns({"body": {"n": [1]}}), sqs('{"n": true}'))
    assert matches_any(patterns({"body": {"n": [True]}}), sqs('{"n": true}'))


def test_anything_but_numbers_excludes_those_numbers() -> None:
    wanted = patterns({"body": {"code": [{"anything-but": [404, 500]}]}})

    assert matches_any(wanted, sqs('{"code": 200}'))
    assert not matches_any(wanted, sqs('{"code": 500}'))


def test_or_matches_when_any_set_of_fields_does() -> None:
    wanted = patterns(
        {"body": {"$or": [{"city": ["New York"]}, {"day": ["Monday"]}], "kind": ["visit"]}}
    )

    assert matches_any(wanted, sqs('{"city": "New York", "day": "Friday", "kind": "visit"}'))
    assert matches_any(wanted, sqs('{"city": "Paris", "day": "Monday", "kind": "visit"}'))
    assert not matches_any(wanted, sqs('{"city": "Paris", "day": "Friday", "kind": "visit"}'))
    assert not matches_any(wanted, sqs('{"city": "New York", "kind": "call"}'))


@pytest.mark.parametrize(
    ("criteria", "named"),
    [
        ({"Filter": []}, "Filters list"),
        ({"Filters": [{"Pattern": "not json"}]}, "not a JSON object"),
        ({"Filters": [{"Pattern": '["a list"]'}]}, "not a JSON object"),
        ({"Filters": [{"Pattern": "{}"}]}, "not a JSON object"),
        ({"Filters": [{"Pattern": '{"body": {"type": [{"wildcard": "order.*"}]}}'}]}, "wildcard"),
        ({"Filters": [{"Pattern": '{"body": "order.placed"}'}]}, "body: a rule"),
        ({"Filters": [{"Pattern": '{"body": {"type": []}}'}]}, "type: a rule"),
        ({"Filters": [{"Pattern": '{"n": [{"numeric": [">", "5"]}]}'}]}, "numeric: takes numbers"),
        ({"Filters": [{"Pattern": '{"n": [{"numeric": ["!=", 5]}]}'}]}, "comparisons are"),
        ({"Filters": [{"Pattern": '{"n": [{"numeric": ["<", 9, ">", 1]}]}'}]}, "a range"),
        ({"Filters": [{"Pattern": '{"n": [{"numeric": [">", 9, "<", 1]}]}'}]}, "a range"),
        ({"Filters": [{"Pattern": '{"n": [{"numeric": [">", 6e9]}]}'}]}, "within"),
        ({"Filters": [{"Pattern": '{"n": [{"exists": "yes"}]}'}]}, "exists: takes true"),
        ({"Filters": [{"Pattern": '{"n": [{"prefix": 5}]}'}]}, "prefix: takes a string"),
        ({"Filters": [{"Pattern": '{"n": [{"anything-but": [1, "a"]}]}'}]}, "anything-but"),
        ({"Filters": [{"Pattern": '{"n": [{"prefix": "a", "suffix": "b"}]}'}]}, "not a value"),
        ({"Filters": [{"Pattern": '{"$or": [{"n": [1]}]}'}]}, "$or: needs"),
    ],
    ids=[
        "no Filters",
        "not JSON",
        "not an object",
        "no fields",
        "wildcard",
        "a rule that is a bare value",
        "an empty list",
        "a numeric string",
        "an unknown comparison",
        "a range upside down",
        "an empty range",
        "a number too large",
        "exists not boolean",
        "prefix not a string",
        "anything-but mixed",
        "two operators in one condition",
        "a single $or alternative",
    ],
)
def test_a_pattern_lambda_would_refuse_is_refused_naming_the_rule(
    criteria: Any, named: str
) -> None:
    with pytest.raises(FilterPatternError, match=re.escape(named)):
        parse_patterns(criteria)
