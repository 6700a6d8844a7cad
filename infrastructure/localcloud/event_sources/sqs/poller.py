"""An SQS event source mapping as Lambda runs it: long-polls the queue and invokes the
function with each batch; deletes what succeeded (and what no filter matched) and leaves
the rest to the queue's visibility timeout and redrive policy. As Lambda scales an SQS
mapping out, up to the mapping's maximum concurrency batches are in flight at once, each
from its own thread."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from localcloud.emulator.clients import EmulatorClients
from localcloud.emulator.waits import Waits
from localcloud.event_sources.base import Invoke, Outage, Poller, invoke_safely
from localcloud.event_sources.batch_failures import failure_reasons
from localcloud.event_sources.batching import BatchPolicy, gather
from localcloud.event_sources.filtering import matches_any, with_data
from localcloud.event_sources.sqs.events import SqsMessage, sqs_event, sqs_record
from localcloud.event_sources.sqs.mapping import SqsMapping

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import DeleteMessageBatchRequestEntryTypeDef

logger = logging.getLogger(__name__)

WAIT_TIME_S = 1
"""Long-poll length: short enough that a stopped poller's threads end inside `stop()`. A
longer poll (Lambda's 20 s) outlives the stop: a message sent meanwhile is received by the
stopped generation and released again, one receive more towards its redrive policy's."""
IDLE_WAIT_S = 20.0
"""How long an idle thread waits at the emulator for a message to become receivable
(`localcloud.emulator.waits`): the wait receives nothing, so a stop does not wait for it."""
MAX_MESSAGES = 10
"""The most one ReceiveMessage returns."""
ENTRIES_PER_CALL = 10
"""The most one DeleteMessageBatch or ChangeMessageVisibilityBatch takes."""


class SqsPoller(Poller):
    def __init__(
        self, mapping: SqsMapping, invoke: Invoke, *, endpoint_url: str, region: str
    ) -> None:
        super().__init__(mapping, f"sqs-poller-{mapping.function}")
        self.mapping: SqsMapping = mapping
        self._invoke = invoke
        self._endpoint_url = endpoint_url
        self._region = region
        self._policy = BatchPolicy(mapping.batch_size, mapping.batching_window_s)
        self._waits = Waits(endpoint_url)

    def _loops(self) -> list[Callable[[], None]]:
        return [self._run] * self.mapping.maximum_concurrency

    def _run(self) -> None:
        outage = Outage(f"SQS poller {self.mapping.function} <- {self.mapping.queue_url}")
        clients = EmulatorClients.for_pollers(self._endpoint_url, self._region)
        idle = True
        while not self.stopping.is_set():
            try:
                if idle:
                    with self.idle():
                        visible = self._waits.for_messages(self.mapping.queue_arn, IDLE_WAIT_S)
                    if not visible:
                        continue
                if self.stopping.is_set():
                    return
                sqs = clients.sqs()
                batch = gather(
                    partial(self._receive, sqs),
                    self._policy,
                    self.stopping,
                    first_wait_s=WAIT_TIME_S,
                    size_of=self._size_of,
                    merge=_once_each,
                )
                outage.recovered()
                if self.stopping.is_set():
                    self._release(sqs, batch.records + batch.overflow)
                    return
                self._release(sqs, batch.overflow)
                idle = not batch.records
                if batch.records:
                    self._process(sqs, batch.records)
            except Exception as error:
                if self.stopping.is_set():
                    return  # the emulator may stop before a wait it held ends: nothing failed
                self.stopping.wait(outage.failed(error))

    def _receive(self, sqs: SQSClient, limit: int, wait_s: float) -> list[SqsMessage]:
        response = sqs.receive_message(
            QueueUrl=self.mapping.queue_url,
            MaxNumberOfMessages=min(limit, MAX_MESSAGES),
            WaitTimeSeconds=int(wait_s),
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return cast(list[SqsMessage], response.get("Messages", []))

    def _size_of(self, message: SqsMessage) -> int:
        record = sqs_record(message, self.mapping.queue_arn, self._region)
        return len(json.dumps(record))

    def _process(self, sqs: SQSClient, messages: list[SqsMessage]) -> None:
        delivered = [message for message in messages if self._passes_filters(message)]
        failed: dict[str, str] = {}
        if delivered:
            event = sqs_event(delivered, self.mapping.queue_arn, self._region)
            result = invoke_safely(self._invoke, self.mapping.function, event)
            ids = [message["MessageId"] for message in delivered]
            failed = failure_reasons(result, ids, self.mapping.report_batch_item_failures)
            for message in delivered:
                if message["MessageId"] in failed:
                    self._warn_failed(message, failed[message["MessageId"]])
        self._delete(sqs, [message for message in messages if message["MessageId"] not in failed])

    def _warn_failed(self, message: SqsMessage, reason: str) -> None:
        """One line per failed message, as it fails: whose, which and why."""
        receives = message.get("Attributes", {}).get("ApproximateReceiveCount", "?")
        logger.warning(
            "%s: SQS message %s failed (receive %s): %s; the queue delivers it again after "
            "its visibility timeout, or dead-letters it after its redrive policy's receives",
            self.mapping.function,
            message["MessageId"],
            receives,
            reason,
        )

    def _passes_filters(self, message: SqsMessage) -> bool:
        if not self.mapping.filters:
            return True
        record = sqs_record(message, self.mapping.queue_arn, self._region)
        return matches_any(self.mapping.filters, with_data(record, "body", record["body"]))

    def _delete(self, sqs: SQSClient, messages: list[SqsMessage]) -> None:
        for start in range(0, len(messages), ENTRIES_PER_CALL):
            chunk = messages[start : start + ENTRIES_PER_CALL]
            entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(chunk)
            ]
            response = sqs.delete_message_batch(QueueUrl=self.mapping.queue_url, Entries=entries)
            for failure in response.get("Failed", []):
                logger.warning(
                    "%s: could not delete a processed message: %s",
                    self.mapping.function,
                    failure.get("Message", failure.get("Code")),
                )

    def _release(self, sqs: SQSClient, messages: list[SqsMessage]) -> None:
        """Makes messages visible again at once: those that did not fit in the batch, or
        a stopped poller's."""
        for start in range(0, len(messages), ENTRIES_PER_CALL):
            chunk = messages[start : start + ENTRIES_PER_CALL]
            sqs.change_message_visibility_batch(
                QueueUrl=self.mapping.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for index, m in enumerate(chunk)
                ],
            )


def _once_each(held: list[SqsMessage], more: list[SqsMessage]) -> list[SqsMessage]:
    """Each message once, where it was first received, as its latest receipt: a
    visibility timeout shorter than the batching window lets the queue hand out a
    message again, and only the newest receipt handle is sure to delete it."""
    # A dict keeps a key where it was first inserted when its value is replaced.
    return list({message["MessageId"]: message for message in held + more}.values())
