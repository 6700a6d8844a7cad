"""Lambda event filtering (FilterCriteria) as AWS documents it: a record reaches the
function when any pattern matches it (patterns are ORed, a pattern's fields ANDed); an
SQS pattern reads the message `body` as JSON when it is JSON and as the string it is
otherwise; a DynamoDB pattern reads the record's `dynamodb` and `eventName` as the event
carries them; operators the local cloud does not evaluate are refused up front."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.event_sources.filtering import (
    UnsupportedFilter,
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


@pytest.mark.parametrize(
    "criteria",
    [
        {"Filter": []},
        {"Filters": [{"Pattern": "not json"}]},
        {"Filters": [{"Pattern": '["a list"]'}]},
        {"Filters": [{"Pattern": '{"body": {"count": [{"numeric": [">", 5]}]}}'}]},
        {"Filters": [{"Pattern": '{"body": {"type": [{"wildcard": "order.*"}]}}'}]},
        {"Filters": [{"Pattern": '{"body": "order.placed"}'}]},
    ],
    ids=[
        "no Filters",
        "not JSON",
        "not an object",
        "numeric",
        "wildcard",
        "a rule that is a bare value",
    ],
)
def test_criteria_the_local_cloud_cannot_evaluate_are_refused(criteria: Any) -> None:
    with pytest.raises(UnsupportedFilter):
        parse_patterns(criteria)


def test_a_refused_operator_is_named() -> None:
    with pytest.raises(UnsupportedFilter, match="numeric"):
        patterns({"body": {"count": [{"numeric": [">", 5]}]}})
