"""Lambda's event for Kafka records (Amazon MSK or self-managed Kafka), and the records as
a consumer reads them."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from localcloud.event_sources.batch_failures import batch_item_failures
from localcloud.event_sources.kafka.mapping import KafkaMapping

TIMESTAMP_TYPES = {0: "NO_TIMESTAMP_TYPE", 1: "CREATE_TIME", 2: "LOG_APPEND_TIME"}


@dataclass(frozen=True)
class KafkaRecord:
    """A record as a consumer read it."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    timestamp_type: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()

    @classmethod
    def from_message(cls, message: Any) -> KafkaRecord:
        kind, timestamp = message.timestamp()
        return cls(
            topic=message.topic(),
            partition=message.partition(),
            offset=message.offset(),
            timestamp_ms=timestamp,
            timestamp_type=TIMESTAMP_TYPES.get(kind, "NO_TIMESTAMP_TYPE"),
            key=message.key(),
            value=message.value(),
            headers=tuple(message.headers() or ()),
        )

    @property
    def partition_key(self) -> str:
        """`topic-partition`, as Lambda groups records and names them in batchItemFailures."""
        return f"{self.topic}-{self.partition}"


def msk_event(
    records: Sequence[KafkaRecord], mapping: KafkaMapping, bootstrap_servers: str
) -> dict[str, Any]:
    """Lambda's event for Kafka records: grouped by topic-partition, key and value in
    base64, header values as lists of bytes."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(record.partition_key, []).append(event_record(record))
    event: dict[str, Any] = {"eventSource": mapping.event_source}
    if mapping.event_source == "aws:kafka":
        event["eventSourceArn"] = mapping.event_source_arn
    event["bootstrapServers"] = bootstrap_servers
    event["records"] = grouped
    return event


def event_record(record: KafkaRecord) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp_ms,
        "timestampType": record.timestamp_type,
    }
    if record.key is not None:
        shaped["key"] = base64.b64encode(record.key).decode()
    if record.value is not None:
        shaped["value"] = base64.b64encode(record.value).decode()
    shaped["headers"] = [{name: list(value or b"")} for name, value in record.headers]
    return shaped


def failed_offsets(payload: object, records: Sequence[KafkaRecord]) -> set[int] | None:
    """The offsets a ReportBatchItemFailures response names (one partition's batch);
    None when the response is invalid, which Lambda counts as the whole batch failing."""
    items = batch_item_failures(payload)
    if items is None:
        return None
    known = {(record.partition_key, record.offset) for record in records}
    failed = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, dict):
            return None
        named = (identifier.get("partition"), identifier.get("offset"))
        if named not in known:
            return None
        failed.add(int(identifier["offset"]))
    return failed
