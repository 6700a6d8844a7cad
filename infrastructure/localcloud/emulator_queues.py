"""SQS ReceiveMessage for the emulator: a receive costs its batch, not the queue.

moto 5.2 checks every message it hands out against the queue's retention period by
building all of the queue's attributes, several of which count the queue's messages:
each receive cost grows with the square of the backlog (with 500 messages waiting, a
quarter of the emulator's CPU went there). Here the check reads the one attribute it
needs. The answer is moto's own.
"""

from __future__ import annotations

from moto.core.utils import unix_time
from moto.sqs.models import Message, SQSBackend

MOTO_RETENTION_CHECK = SQSBackend.is_message_valid_based_on_retention_period


def is_message_valid_based_on_retention_period(
    self: SQSBackend, queue_name: str, message: Message
) -> bool:
    retention_period = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
    sent_at = float(message.sent_timestamp or 0) / 1000
    return retention_period + sent_at > unix_time()


def install() -> None:
    SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
        is_message_valid_based_on_retention_period
    )
