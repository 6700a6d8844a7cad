"""ApproximateAgeOfOldestMessage for the emulator's SQS queues.

CloudWatch publishes it for every queue (AWS/SQS), but it is not a queue attribute, and
moto keeps no such metric: installed in the emulator's process, this makes moto's queues
answer it as one more attribute (GetQueueAttributes), which the local cloud samples into
the emulated CloudWatch with the queue's other metrics. Age counts from when a message
was sent, over every message not yet deleted (in flight too), in whole seconds.
"""

from __future__ import annotations

import time
from typing import Any

AGE_ATTRIBUTE = "ApproximateAgeOfOldestMessage"


def install() -> None:
    from moto.sqs.models import Queue

    if AGE_ATTRIBUTE in Queue.BASE_ATTRIBUTES:
        return
    Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, AGE_ATTRIBUTE]
    Queue.approximate_age_of_oldest_message = property(age_of_oldest_message)  # type: ignore[attr-defined]


def age_of_oldest_message(queue: Any) -> int:
    sent = [message.sent_timestamp for message in list(queue._messages) if message.sent_timestamp]
    if not sent:
        return 0
    return max(0, int(time.time() - min(sent) / 1000))
