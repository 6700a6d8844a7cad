"""How every service consumes events, from an SQS queue, a Kafka topic (Amazon MSK or
self-managed Kafka) or a RabbitMQ queue (Amazon MQ): the batch's event source says which,
and all carry the same envelope.

- Partial batch response (Powertools BatchProcessor): a record that fails (a malformed
  message, an error) is reported alone; the rest of the batch is processed. SQS makes the
  failed one visible again and, after the queue's maxReceiveCount, moves it to the
  dead-letter queue; a Kafka event source mapping retries from the partition's first
  failed record and, once its retries are spent, sends the record to its on-failure
  destination.
- Amazon MQ has no partial batch response: every message of the batch is handled, and
  if one failed the invocation fails, so the event source mapping returns the whole
  batch to the queue. The messages that succeeded are skipped as duplicates when it
  comes again; the broker's delivery limit sends one that keeps failing (with the batch
  it keeps failing in) to the queue's dead-letter queue.
- Idempotency on the event id (Powertools idempotency, IdempotencyTable): a redelivered
  event that was handled already is skipped. The services' own conditional writes make
  the effect exactly-once even beyond the idempotency record's lifetime.
- The event's correlation id (the order id) is on every log line written while the
  record is handled.
- Orders side by side (opt-in): the records of different orders are handled in threads
  of their own, one order's records in their order, so a record that waits on something
  slow (a payment provider) never holds back another order's record of the batch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.kafka_event import KafkaEventRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field
from snapshot_restore_py import register_before_snapshot

from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.events.envelope import Event, EventData
from petstore_shared.events.records import (
    CONSUMER_GROUP_VARIABLE,
    event_from_kafka_record,
    event_from_rmq_message,
    event_from_sqs_record,
    redriven_for_another_consumer,
    rmq_message_id,
)
from petstore_shared.events.registry import MalformedEvent
from petstore_shared.observability import logger, make_tracer_before_snapshot, traced
from petstore_shared.settings import EnvironmentSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

EventAction = Callable[[Event[Any]], object]
IDEMPOTENCY_RECORD_TTL_S = 24 * 3600
FAILED_EVENT_MESSAGE = "Event failed; it will be delivered again, then dead-lettered"
UNREADABLE_MESSAGE = "Unreadable message: no event; it will be delivered again, then dead-lettered"
KAFKA_EVENT_SOURCES = frozenset({"aws:kafka", "SelfManagedKafka"})
RMQ_EVENT_SOURCE = "aws:rmq"
RESERVED_SHARE_OF_TIME = 0.25
"""Once less than this share of the invocation's time is left, the remaining records are
handed back unprocessed: reported as failures, they come again, whereas a batch that
runs out of time fails whole, and its record in progress stays locked until the deadline."""
MIN_RESERVED_TIME_MS = 1_000
MAX_ORDERS_SIDE_BY_SIDE = 10


class OutOfTime(Exception):
    def __init__(self) -> None:
        super().__init__("Too little of the invocation's time left; the record will come again")


class BatchFailed(Exception):
    """Some messages of a batch that can only fail whole (Amazon MQ's) failed."""

    def __init__(self, failed: list[str]) -> None:
        super().__init__(
            f"{len(failed)} message(s) of the batch failed, so the whole batch comes again "
            f"(handled ones are skipped): {'; '.join(failed)}"
        )


class ConsumerSettings(EnvironmentSettings):
    idempotency_table_name: str = Field(alias="IDEMPOTENCY_TABLE_NAME", min_length=1)


class EventConsumer:
    """One action per event type, run at most once per event id.

    `name` keeps the idempotency records of two consumers of the same event apart;
    `orders_side_by_side` handles the records of different orders concurrently."""

    def __init__(
        self,
        name: str,
        actions: Mapping[type[EventData], EventAction],
        *,
        orders_side_by_side: bool = False,
    ) -> None:
        self.name = name
        self._actions = {model.event_type: action for model, action in actions.items()}
        self._orders_side_by_side = orders_side_by_side
        self._context: LambdaContext | None = None
        self._reserved_ms = 0
        register_before_snapshot(self._made_before_snapshot)
        make_tracer_before_snapshot()  # every batch is handled in traced()

    def _made_before_snapshot(self) -> None:
        """Under SnapStart, the idempotency utility (and boto3, which it imports) is made
        in the init phase: made on a restored consumer's first batch, it took 0.13-0.19 s
        of it."""
        self._run_once  # noqa: B018 - made now, kept in the snapshot

    def handle_batch(
        self, event: dict[str, Any], context: LambdaContext | None
    ) -> PartialItemFailureResponse:
        """An SQS batch, a Kafka batch (records grouped by topic-partition) or an Amazon MQ
        batch (messages grouped by queue)."""
        self._context = context
        self._reserved_ms = 0
        if context is not None:
            self._idempotency_config.register_lambda_context(context)
            self._reserved_ms = max(
                MIN_RESERVED_TIME_MS,
                int(context.get_remaining_time_in_millis() * RESERVED_SHARE_OF_TIME),
            )
        batches = _split_by_order(event) if self._orders_side_by_side else [event]
        if len(batches) == 1:
            return self._process(event, context)
        self._run_once  # noqa: B018 - built once, before the threads share it
        with ThreadPoolExecutor(min(len(batches), MAX_ORDERS_SIDE_BY_SIDE)) as pool:
            answers = list(pool.map(lambda batch: self._process(batch, context), batches))
        return {"batchItemFailures": [f for answer in answers for f in answer["batchItemFailures"]]}

    def _process(
        self, event: dict[str, Any], context: LambdaContext | None
    ) -> PartialItemFailureResponse:
        if event.get("eventSource") == RMQ_EVENT_SOURCE:
            return self._process_rmq(event)
        if event.get("eventSource") in KAFKA_EVENT_SOURCES:
            processor = BatchProcessor(EventType.Kafka, raise_on_entire_batch_failure=False)
            record_handler: Callable[[Any], None] = self._handle_kafka_record
        else:
            processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)
            record_handler = self._handle_sqs_record
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    # The services' handlers name the entry point after the transport it first served.
    handle_sqs_batch = handle_batch

    def _process_rmq(self, event: dict[str, Any]) -> PartialItemFailureResponse:
        failed = []
        for messages in (event.get("rmqMessagesByQueue") or {}).values():
            for message in messages:
                try:
                    self._handle_message(
                        rmq_message_id(message), partial(event_from_rmq_message, message)
                    )
                except Exception as error:
                    failed.append(f"{rmq_message_id(message)} ({type(error).__name__})")
        if failed:
            raise BatchFailed(failed)
        return {"batchItemFailures": []}

    def _handle_sqs_record(self, record: SQSRecord) -> None:
        self._handle_message(record.message_id, lambda: event_from_sqs_record(record.raw_event))

    def _handle_message(self, message_id: str, read_event: Callable[[], Event[Any]]) -> None:
        # Every line about the message names it, as the local cloud's poller does.
        logger.thread_safe_append_keys(message_id=message_id)
        try:
            try:
                event = read_event()
            except MalformedEvent:
                logger.exception(UNREADABLE_MESSAGE)
                raise
            self._handle_event(event)
        finally:
            logger.thread_safe_remove_keys(["message_id"])

    def _handle_kafka_record(self, record: KafkaEventRecord) -> None:
        own_group = os.environ.get(CONSUMER_GROUP_VARIABLE, "")
        if redriven_for_another_consumer(record.raw_event, own_group):
            logger.debug("Skipping a record redriven for another consumer group")
            return
        self._handle_event(event_from_kafka_record(record.raw_event))

    def _handle_event(self, event: Event[Any]) -> None:
        if self._context and self._context.get_remaining_time_in_millis() < self._reserved_ms:
            logger.warning(str(OutOfTime()), extra={"event_id": event.id})
            raise OutOfTime()
        logger.thread_safe_append_keys(
            correlation_id=event.correlation_id, event_id=event.id, event_type=event.type
        )
        try:
            with traced(
                f"## {event.type}", correlation_id=event.correlation_id, event_type=event.type
            ):
                self._run_once(event=event)
        except Exception:
            # The line that tells an operator why a dead letter failed (found by event_id).
            logger.exception(FAILED_EVENT_MESSAGE)
            raise
        finally:
            logger.thread_safe_remove_keys(["correlation_id", "event_id", "event_type"])

    def _run_action(self, event: Event[Any]) -> None:
        action = self._actions.get(event.type)
        if action is None:
            logger.warning("Skipping an event type this consumer does not handle")
            return
        action(event)

    # The idempotency utility is imported on first use (or before the snapshot): it imports
    # boto3 (a quarter of a second of cold start), and tools that only import handler
    # modules need none of it.
    @cached_property
    def _idempotency_config(self) -> IdempotencyConfig:
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

        return IdempotencyConfig(
            event_key_jmespath="id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=IDEMPOTENCY_RECORD_TTL_S,
        )

    @cached_property
    def _run_once(self) -> Callable[..., None]:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            idempotent_function,
        )

        settings = load_settings(ConsumerSettings)
        store = DynamoDBPersistenceLayer(
            table_name=settings.idempotency_table_name, boto3_client=dynamodb_client()
        )
        function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        run_once: Callable[..., None] = idempotent_function(
            self._run_action,
            data_keyword_argument="event",
            persistence_store=store,
            config=self._idempotency_config,
            key_prefix=f"{function_name}#{self.name}",
        )
        return run_once


def _split_by_order(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The batch as one batch per order (the correlation id; a record without one is an
    order of its own), each order's records in their order."""
    if event.get("eventSource") == RMQ_EVENT_SOURCE:
        rmq_by_order: dict[str, dict[str, list[Any]]] = {}
        for queue, messages in (event.get("rmqMessagesByQueue") or {}).items():
            for message in messages:
                properties = message.get("basicProperties") or {}
                key = str(properties.get("correlationId") or rmq_message_id(message))
                rmq_by_order.setdefault(key, {}).setdefault(queue, []).append(message)
        return [{**event, "rmqMessagesByQueue": queues} for queues in rmq_by_order.values()]
    if event.get("eventSource") in KAFKA_EVENT_SOURCES:
        by_order: dict[str, dict[str, list[Any]]] = {}
        for partition, records in (event.get("records") or {}).items():
            for record in records:
                key = str(record.get("key") or f"{partition}@{record.get('offset')}")
                by_order.setdefault(key, {}).setdefault(partition, []).append(record)
        return [{**event, "records": records} for records in by_order.values()]
    sqs_by_order: dict[str, list[Any]] = {}
    for record in event.get("Records") or []:
        sqs_by_order.setdefault(_sqs_correlation_id(record), []).append(record)
    return [{**event, "Records": records} for records in sqs_by_order.values()]


def _sqs_correlation_id(record: Mapping[str, Any]) -> str:
    try:
        correlation_id = json.loads(record.get("body") or "").get("correlationId")
    except (ValueError, AttributeError):
        correlation_id = None
    return str(correlation_id or record.get("messageId"))
