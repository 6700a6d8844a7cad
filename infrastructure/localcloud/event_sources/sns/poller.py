"""Invokes a subscribed function with each notification its subscription delivers, as SNS
invokes Lambda: asynchronously, one notification per invocation. A failed invocation is
tried again, twice, as Lambda retries an asynchronous one (here after RETRY_DELAY_S rather
than Lambda's minute and two minutes), then given up with a warning naming it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from localcloud.emulator.clients import EmulatorClients
from localcloud.event_sources.base import Invoke, Outage, Poller, invoke_safely
from localcloud.event_sources.sns.events import sns_event
from localcloud.event_sources.sns.subscription import SnsSubscription

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)

WAIT_TIME_S = 1
"""Long-poll length: short enough that `stop()` returns within about a second."""
ATTEMPTS = 3
"""Lambda's asynchronous invocation: the first attempt and two retries."""
RETRY_DELAY_S = 1
CONCURRENCY = 2
"""Notifications being handled at once."""


class SnsPoller(Poller):
    def __init__(
        self, subscription: SnsSubscription, invoke: Invoke, *, endpoint_url: str, region: str
    ) -> None:
        super().__init__(subscription, f"sns-poller-{subscription.function}")
        self.mapping: SnsSubscription = subscription
        self._invoke = invoke
        self._endpoint_url = endpoint_url
        self._region = region

    def _loops(self) -> list[Callable[[], None]]:
        return [self._run] * CONCURRENCY

    def _run(self) -> None:
        outage = Outage(f"SNS subscription {self.mapping.function} <- {self.mapping.topic_arn}")
        clients = EmulatorClients.for_pollers(self._endpoint_url, self._region)
        while not self.stopping.is_set():
            try:
                sqs = clients.sqs()
                messages = sqs.receive_message(
                    QueueUrl=self.mapping.queue_url,
                    MaxNumberOfMessages=1,
                    WaitTimeSeconds=WAIT_TIME_S,
                    MessageSystemAttributeNames=["ApproximateReceiveCount"],
                ).get("Messages", [])
                outage.recovered()
                for message in messages:
                    self._deliver(sqs, message)
            except Exception as error:
                self.stopping.wait(outage.failed(error))

    def _deliver(self, sqs: SQSClient, message: Any) -> None:
        envelope = json.loads(message["Body"])
        event = sns_event(envelope, self.mapping.subscription_arn)
        result = invoke_safely(self._invoke, self.mapping.function, event)
        attempt = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        if result.ok or attempt >= ATTEMPTS:
            if not result.ok:
                logger.warning(
                    "%s: SNS notification %s failed %d times (%s: %s); given up, as Lambda "
                    "gives up an asynchronous invocation",
                    self.mapping.function,
                    envelope.get("MessageId"),
                    attempt,
                    result.error_type,
                    result.error_message,
                )
            sqs.delete_message(
                QueueUrl=self.mapping.queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
            return
        sqs.change_message_visibility(
            QueueUrl=self.mapping.queue_url,
            ReceiptHandle=message["ReceiptHandle"],
            VisibilityTimeout=RETRY_DELAY_S,
        )
