"""Asynchronous invocations by a service the emulator cannot make invoke a function (SNS,
EventBridge): the emulator delivers what the service would send to a delivery queue of
the local cloud's own, and a DeliveryPoller invokes the function with each message, one
per invocation, as the event the service sends Lambda. A failed invocation is tried
again, twice, as Lambda retries an asynchronous one (here after RETRY_DELAY_S rather than
Lambda's minute and two minutes), then given up with a warning naming it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from localcloud.cloudformation.provisioning.context import ProvisionContext
from localcloud.emulator.clients import EmulatorClients
from localcloud.event_sources.base import Invoke, Outage, Poller, invoke_safely

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)

WAIT_TIME_S = 1
"""Long-poll length: short enough that `stop()` returns within about a second."""
ATTEMPTS = 3
"""Lambda's asynchronous invocation: the first attempt and two retries."""
RETRY_DELAY_S = 1
CONCURRENCY = 2
"""Messages being handled at once."""
VISIBILITY_MARGIN_S = 30
"""Beyond the function's timeout, before an invocation's message could be taken again."""


def create_delivery_queue(context: ProvisionContext, name: str, function: str) -> tuple[str, str]:
    """A delivery queue for `function` (a logical id): its URL and ARN."""
    timeout_s = context.stack.functions[function].timeout_s
    sqs = context.clients.sqs()
    url = sqs.create_queue(
        QueueName=name,
        Attributes={"VisibilityTimeout": str(int(timeout_s) + VISIBILITY_MARGIN_S)},
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


@dataclass(frozen=True)
class Delivery:
    """A function a service invokes through a delivery queue."""

    function: str
    """Logical id of the function."""
    source: str
    """What delivers to it (a topic's or a rule's ARN), for the log."""
    queue_url: str
    enabled: bool = True


EventOf = Callable[[str], Any]
"""The event to invoke with, from a delivered message's body."""


class DeliveryPoller(Poller):
    def __init__(
        self,
        delivery: Delivery,
        event_of: EventOf,
        invoke: Invoke,
        *,
        endpoint_url: str,
        region: str,
    ) -> None:
        super().__init__(delivery, f"delivery-{delivery.function}")
        self.mapping: Delivery = delivery
        self._event_of = event_of
        self._invoke = invoke
        self._endpoint_url = endpoint_url
        self._region = region

    def _loops(self) -> list[Callable[[], None]]:
        return [self._run] * CONCURRENCY

    def _run(self) -> None:
        outage = Outage(f"{self.mapping.function} <- {self.mapping.source}")
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
        event = self._event_of(message["Body"])
        result = invoke_safely(self._invoke, self.mapping.function, event)
        attempt = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        if result.ok or attempt >= ATTEMPTS:
            if not result.ok:
                logger.warning(
                    "%s: the invocation by %s (message %s) failed %d times (%s: %s); given "
                    "up, as Lambda gives up an asynchronous invocation",
                    self.mapping.function,
                    self.mapping.source,
                    message["MessageId"],
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
