"""Lambda's partial batch response (ReportBatchItemFailures) read as AWS documents it:
an empty or null response or list is a complete success; an identifier that is empty,
null, under the wrong key or not of the batch, or a response that is not the documented
object, makes the whole batch fail; without ReportBatchItemFailures the response is
ignored; a function error fails every record."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.event_sources.batch_failures import failed_items, reported_failures
from localcloud.event_sources.kafka.events import KafkaRecord, failed_offsets
from localcloud.model import InvocationResult

IDS = ["m-1", "m-2", "m-3"]


@pytest.mark.parametrize(
    "payload",
    [None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}],
    ids=["null response", "empty response", "null list", "empty list"],
)
def test_these_responses_mean_every_item_succeeded(payload: Any) -> None:
    assert reported_failures(payload, IDS) == set()


def test_the_reported_identifiers_are_the_failed_items() -> None:
    payload = {"batchItemFailures": [{"itemIdentifier": "m-3"}, {"itemIdentifier": "m-1"}]}

    assert reported_failures(payload, IDS) == {"m-1", "m-3"}


def test_an_item_reported_twice_is_one_failure() -> None:
    payload = {"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-2"}]}

    assert reported_failures(payload, IDS) == {"m-2"}


@pytest.mark.parametrize(
    "payload",
    [
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemId": "m-1"}]},
        {"batchItemFailures": [{"itemIdentifier": "m-9"}]},
        {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-9"}]},
        {"batchItemFailures": [{"itemIdentifier": ["m-1"]}]},
        {"batchItemFailures": ["m-1"]},
        {"batchItemFailures": "m-1"},
        "not the documented object",
        ["m-1"],
    ],
    ids=[
        "empty identifier",
        "null identifier",
        "wrong key name",
        "identifier not of the batch",
        "one identifier not of the batch",
        "identifier not a string",
        "item not an object",
        "list not a list",
        "response a string",
        "response a list",
    ],
)
def test_an_invalid_response_is_no_list_of_failures(payload: Any) -> None:
    assert reported_failures(payload, IDS) is None


def test_an_invalid_response_fails_the_whole_batch() -> None:
    result = InvocationResult(ok=True, payload={"batchItemFailures": [{"itemIdentifier": ""}]})

    assert failed_items(result, IDS, report_batch_item_failures=True) == set(IDS)


def test_a_valid_response_fails_only_the_reported_items() -> None:
    result = InvocationResult(ok=True, payload={"batchItemFailures": [{"itemIdentifier": "m-2"}]})

    assert failed_items(result, IDS, report_batch_item_failures=True) == {"m-2"}


def test_without_report_batch_item_failures_the_response_is_ignored() -> None:
    # AWS: Lambda does not process a partial response unless the mapping turns it on
    result = InvocationResult(ok=True, payload={"batchItemFailures": [{"itemIdentifier": "m-2"}]})

    assert failed_items(result, IDS, report_batch_item_failures=False) == set()


@pytest.mark.parametrize("report_batch_item_failures", [True, False])
def test_a_function_error_fails_every_item(report_batch_item_failures: bool) -> None:
    result = InvocationResult(ok=False, error_type="ValueError", error_message="boom")

    assert failed_items(result, IDS, report_batch_item_failures) == set(IDS)


def kafka_record(offset: int) -> KafkaRecord:
    return KafkaRecord(
        topic="orders",
        partition=0,
        offset=offset,
        timestamp_ms=0,
        timestamp_type="CREATE_TIME",
        key=None,
        value=b"{}",
    )


KAFKA_BATCH = [kafka_record(5), kafka_record(6), kafka_record(7)]


def test_a_kafka_partial_response_names_records_by_partition_and_offset() -> None:
    payload = {"batchItemFailures": [{"itemIdentifier": {"partition": "orders-0", "offset": 6}}]}

    assert failed_offsets(payload, KAFKA_BATCH) == {6}
    assert failed_offsets({"batchItemFailures": []}, KAFKA_BATCH) == set()


@pytest.mark.parametrize(
    "identifier",
    [
        {"partition": "orders-0", "offset": 9},
        {"partition": "orders-1", "offset": 6},
        {"offset": 6},
        "orders-0:6",
        None,
    ],
    ids=["offset not of the batch", "other partition", "no partition", "string", "null"],
)
def test_an_invalid_kafka_identifier_fails_the_whole_batch(identifier: Any) -> None:
    payload = {"batchItemFailures": [{"itemIdentifier": identifier}]}

    assert failed_offsets(payload, KAFKA_BATCH) is None
