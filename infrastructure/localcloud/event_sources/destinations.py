"""An event source mapping's on-failure destination (DestinationConfig.OnFailure): where
Lambda sends the invocation record of records it gave up on. A standard SQS queue or SNS
topic, given by ARN, as stream sources allow."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.emulator.clients import EmulatorClients

DESTINATION_SERVICES = ("sqs", "sns")


def destination_service(arn: str) -> str | None:
    """The service of a destination ARN the local cloud delivers to; None for any other."""
    parts = arn.split(":")
    if len(parts) == 6 and parts[0] == "arn" and parts[2] in DESTINATION_SERVICES:
        return parts[2]
    return None


def send_to_destination(clients: EmulatorClients, arn: str, record: dict[str, Any]) -> None:
    """Sends the invocation record as a JSON message; raises if the destination does not
    take it (the poller then reads the records again rather than lose them)."""
    body = json.dumps(record)
    if destination_service(arn) == "sns":
        clients.sns().publish(TopicArn=arn, Message=body)
        return
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=body)
