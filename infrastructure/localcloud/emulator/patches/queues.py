"""SQS in the emulator: a receive costs its batch, not the queue.

moto 5.2 checks every message it hands out against the queue's retention period by
building all of the queue's attributes, several of which count the queue's messages:
each receive cost grows with the square of the backlog (with 500 messages waiting, a
quarter of the emulator's CPU went there). Here the check reads the one attribute it
needs. The answer is moto's own.

moto also reads the clock through `datetime` for every message it looks at (is it
visible? delayed?), and SendMessage counts the queue's messages; under a backlog that
clock was a tenth of the emulator's CPU. `unix_time()` without an argument is the
current time in seconds, which `time.time()` gives directly.
"""

from __future__ import annotations

import datetime
import time

import moto.core.utils
import moto.sqs.models
from moto.sqs.models import Message, SQSBackend

MOTO_RETENTION_CHECK = SQSBackend.is_message_valid_based_on_retention_period
MOTO_UNIX_TIME = moto.core.utils.unix_time


def unix_time(dt: datetime.datetime | None = None) -> float:
    return time.time() if dt is None else MOTO_UNIX_TIME(dt)


def unix_time_millis(dt: datetime.datetime | None = None) -> float:
    return unix_time(dt) * 1000.0


def is_message_valid_based_on_retention_period(
    self: SQSBackend, queue_name: str, message: Message
) -> bool:
    retention_period = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
    sent_at = float(message.sent_timestamp or 0) / 1000
    return retention_period + sent_at > unix_time()


def install() -> None:
    for module in (moto.core.utils, moto.sqs.models):
        module.unix_time = unix_time  # type: ignore[attr-defined]
        module.unix_time_millis = unix_time_millis  # type: ignore[attr-defined]
    SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
        is_message_valid_based_on_retention_period
    )
