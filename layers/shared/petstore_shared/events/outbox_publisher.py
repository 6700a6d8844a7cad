"""The outbox publisher: a Lambda function on a table's DynamoDB stream that publishes
each new outbox item to the event bus.

Safe to run twice: a failed record is reported back (partial batch response) and the
stream delivers it, and those after it, again; an event published twice keeps its id,
and every consumer is idempotent on the event id.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from snapshot_restore_py import register_before_snapshot

from petstore_shared.events.bus import EventBus, event_bus_from_environment, prepare_for_snapshot
from petstore_shared.events.outbox import event_from_stream_record
from petstore_shared.events.registry import MalformedEvent
from petstore_shared.observability import logger, metrics

register_before_snapshot(prepare_for_snapshot)


def publish_outbox_batch(
    event: dict[str, Any], context: LambdaContext | None, bus: EventBus
) -> PartialItemFailureResponse:
    def publish_record(record: DynamoDBRecord) -> None:
        try:
            outboxed = event_from_stream_record(record.raw_event)
        except MalformedEvent:
            # Retrying cannot fix it, and a failing record would hold back every later
            # record of its shard: report it loudly and move on.
            logger.exception(
                "Unpublishable outbox item",
                extra={"keys": record.raw_event.get("dynamodb", {}).get("Keys")},
            )
            return
        if outboxed is None:
            return
        logger.set_correlation_id(outboxed.correlation_id)
        try:
            bus.publish(outboxed)
            logger.info(
                "Published event", extra={"event_id": outboxed.id, "event_type": outboxed.type}
            )
        finally:
            logger.set_correlation_id(None)

    processor = BatchProcessor(EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event, record_handler=publish_record, processor=processor, context=context
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return publish_outbox_batch(event, context, event_bus_from_environment())
