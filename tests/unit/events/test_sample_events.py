"""The sample Lambda events in events/ (for `petstore invoke` and reading) are what the
functions really receive: each SQS sample carries an event its queue subscribes to, and
its consumer handles it without a failure; the stream sample is an outbox insert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from petstore_shared.events.outbox import event_from_stream_record
from petstore_shared.events.records import event_from_sqs_record
from support.in_process_saga import InProcessSaga, consumers, subscriptions

EVENTS_DIR = Path(__file__).resolve().parents[3] / "events"
SQS_SAMPLES = sorted((EVENTS_DIR / "sqs").glob("*.json"))


def queue_of(record: dict[str, Any]) -> str:
    """The template's logical id of the queue the record came from."""
    return str(record["eventSourceARN"].rsplit(":", 1)[-1].removeprefix("petstore-"))


@pytest.mark.parametrize("sample", SQS_SAMPLES, ids=[path.stem for path in SQS_SAMPLES])
def test_an_sqs_sample_carries_an_event_its_queue_subscribes_to(
    sample: Path, saga: InProcessSaga
) -> None:
    [record] = json.loads(sample.read_text())["Records"]
    event = event_from_sqs_record(record)
    queue = queue_of(record)

    assert any(s.queue == queue and event.type in s.event_types for s in subscriptions())
    [consumer] = [consumer for consumer in consumers() if consumer.queue == queue]
    assert saga.invoke_consumer(consumer, [record]) == set()


def test_the_stream_sample_is_an_outbox_insert_of_an_order_event() -> None:
    document = json.loads((EVENTS_DIR / "dynamodb" / "orders_outbox_order_placed.json").read_text())

    [event] = [event_from_stream_record(record) for record in document["Records"]]

    assert event is not None
    assert (event.type, event.correlation_id) == ("order.placed", event.data.order_id)
