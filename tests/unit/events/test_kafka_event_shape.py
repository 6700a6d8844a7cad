"""The local cloud builds Kafka events exactly as Lambda builds them for Amazon MSK and
self-managed Kafka, reads a Kafka partial batch response as Lambda does, and filters
records with the mapping's FilterCriteria."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from localcloud.event_sources.filtering import (
    FilterPatternError,
    filterable,
    matches_any,
    parse_patterns,
)
from localcloud.event_sources.kafka.events import KafkaRecord, failed_offsets, msk_event
from localcloud.event_sources.kafka.mapping import KafkaMapping

CLUSTER_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/petstore/abc-1"
MAPPING = KafkaMapping(
    function="Consumer", topic="orders", consumer_group="g", event_source_arn=CLUSTER_ARN
)


def record(partition: int, offset: int, **fields: Any) -> KafkaRecord:
    values: dict[str, Any] = {
        "topic": "orders",
        "partition": partition,
        "offset": offset,
        "timestamp_ms": 1_795_000_000_123,
        "timestamp_type": "CREATE_TIME",
        "key": b"order-1",
        "value": b'{"type": "order.placed"}',
        **fields,
    }
    return KafkaRecord(**values)


def test_an_msk_event_groups_records_by_topic_partition_in_base64() -> None:
    records = [
        record(0, 5, headers=(("type", b"order.placed"),)),
        record(1, 9, key=None),
        record(0, 6, value=None),
    ]

    event = msk_event(records, MAPPING, "127.0.0.1:9092")

    assert event == {
        "eventSource": "aws:kafka",
        "eventSourceArn": CLUSTER_ARN,
        "bootstrapServers": "127.0.0.1:9092",
        "records": {
            "orders-0": [
                {
                    "topic": "orders",
                    "partition": 0,
                    "offset": 5,
                    "timestamp": 1_795_000_000_123,
                    "timestampType": "CREATE_TIME",
                    "key": base64.b64encode(b"order-1").decode(),
                    "value": base64.b64encode(b'{"type": "order.placed"}').decode(),
                    "headers": [{"type": list(b"order.placed")}],
                },
                {
                    "topic": "orders",
                    "partition": 0,
                    "offset": 6,
                    "timestamp": 1_795_000_000_123,
                    "timestampType": "CREATE_TIME",
                    "key": base64.b64encode(b"order-1").decode(),
                    "headers": [],
                },
            ],
            "orders-1": [
                {
                    "topic": "orders",
                    "partition": 1,
                    "offset": 9,
                    "timestamp": 1_795_000_000_123,
                    "timestampType": "CREATE_TIME",
                    "value": base64.b64encode(b'{"type": "order.placed"}').decode(),
                    "headers": [],
                }
            ],
        },
    }


def test_a_self_managed_kafka_event_has_no_cluster_arn() -> None:
    self_managed = KafkaMapping(
        function="Consumer", topic="orders", consumer_group="g", event_source="SelfManagedKafka"
    )

    event = msk_event([record(0, 1)], self_managed, "broker:9092")

    assert event["eventSource"] == "SelfManagedKafka"
    assert "eventSourceArn" not in event


@pytest.mark.parametrize(
    ("payload", "failed"),
    [
        (None, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": {"partition": "orders-0", "offset": 6}}]}, {6}),
        ({"batchItemFailures": [{"itemIdentifier": {"partition": "orders-1", "offset": 6}}]}, None),
        ({"batchItemFailures": [{"itemIdentifier": "orders-0:6"}]}, None),
        ({"batchItemFailures": "all"}, None),
        ("ok", None),
    ],
)
def test_a_partial_batch_response_names_records_by_topic_partition_and_offset(
    payload: object, failed: set[int] | None
) -> None:
    assert failed_offsets(payload, [record(0, 5), record(0, 6)]) == failed


def patterns(*filters: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    return parse_patterns({"Filters": [{"Pattern": json.dumps(f)} for f in filters]})


def document(value: bytes, partition: int = 0) -> dict[str, Any]:
    return filterable({"topic": "orders", "partition": partition, "offset": 1}, value)


def test_records_pass_a_filter_on_their_json_value() -> None:
    by_type = patterns({"value": {"type": ["order.placed", "order.cancelled"]}})

    assert matches_any(by_type, document(b'{"type": "order.placed"}'))
    assert not matches_any(by_type, document(b'{"type": "order.confirmed"}'))
    assert not matches_any(by_type, document(b"not json"))
    assert matches_any((), document(b"not json"))


def test_filter_operators_and_metadata() -> None:
    assert matches_any(
        patterns({"value": {"type": [{"prefix": "order."}]}}), document(b'{"type": "order.x"}')
    )
    assert matches_any(
        patterns({"value": {"type": [{"suffix": ".x"}]}}), document(b'{"type": "order.x"}')
    )
    assert not matches_any(
        patterns({"value": {"type": [{"anything-but": ["order.x"]}]}}),
        document(b'{"type": "order.x"}'),
    )
    assert matches_any(patterns({"value": {"id": [{"exists": False}]}}), document(b'{"type": "a"}'))
    assert matches_any(patterns({"partition": [1]}), document(b"{}", partition=1))
    assert matches_any(
        patterns({"partition": [0]}, {"partition": [1]}), document(b"{}", partition=1)
    )


@pytest.mark.parametrize(
    "criteria",
    [
        {"Filters": [{"Pattern": '{"value": {"n": [{"numeric": [">", "1"]}]}}'}]},
        {"Filters": [{"Pattern": "not json"}]},
        {"Filters": [{"Pattern": '{"value": "order.placed"}'}]},
        {"Patterns": []},
    ],
)
def test_a_filter_the_local_cloud_cannot_evaluate_is_refused(criteria: dict[str, Any]) -> None:
    with pytest.raises(FilterPatternError):
        parse_patterns(criteria)
