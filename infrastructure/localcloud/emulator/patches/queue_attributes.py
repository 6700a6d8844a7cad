"""SQS system attributes that moto leaves out, added as SQS sets them.

- A FIFO message's `SequenceNumber`: SQS gives every message of a FIFO queue one,
  increasing with each message sent; moto only when the sender passed a
  deduplication ID (not under content-based deduplication).
- `DeadLetterQueueSourceArn` on a message that the redrive policy moved to a
  dead-letter queue: the ARN of the queue it came from. moto moves the message by
  adding it to a second queue, the only time it adds a message that a queue
  already holds or held.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from moto.sqs.models import Message, Queue
from moto.sqs.responses import SQSResponse

MOTO_ADD_MESSAGE = Queue.add_message
DEAD_LETTER_SOURCE = "DeadLetterQueueSourceArn"
HOME_QUEUE = "localcloud_home_queue_arn"
SOURCE_QUEUE = "localcloud_dead_letter_source_arn"

_dead_letter_queues: set[str] = set()
"""ARNs of the queues holding redriven messages: only their receives are looked at."""
_sequence_lock = threading.Lock()
_last_sequence_number = 0


def add_message(self: Queue, message: Message) -> None:
    home = getattr(message, HOME_QUEUE, None)
    if home is None:
        setattr(message, HOME_QUEUE, self.queue_arn)
    elif home != self.queue_arn:
        setattr(message, SOURCE_QUEUE, home)
        _dead_letter_queues.add(self.queue_arn)
    if self.fifo_queue and message.sequence_number is None:
        message.sequence_number = next_sequence_number()
    MOTO_ADD_MESSAGE(self, message)


def next_sequence_number() -> str:
    """A 20-digit number greater than every one given before, as SQS's are."""
    global _last_sequence_number
    with _sequence_lock:
        _last_sequence_number = max(_last_sequence_number + 1, time.time_ns())
        return f"{_last_sequence_number:020d}"


def add_dead_letter_sources(response: SQSResponse, messages: list[dict[str, Any]]) -> None:
    """Adds `DeadLetterQueueSourceArn` to the ReceiveMessage answer's messages that
    were redriven, when the request asked for it."""
    queue = response.sqs_backend.get_queue(response._get_queue_name())
    if queue.queue_arn not in _dead_letter_queues or not _asked_for_source(response):
        return
    sources = {
        held.id: getattr(held, SOURCE_QUEUE)
        for held in queue._messages
        if hasattr(held, SOURCE_QUEUE)
    }
    for message in messages:
        if message["MessageId"] in sources:
            attributes = message.setdefault("Attributes", {})
            attributes[DEAD_LETTER_SOURCE] = sources[message["MessageId"]]


def _asked_for_source(response: SQSResponse) -> bool:
    names = response._get_param("MessageSystemAttributeNames", []) or []
    names += response._get_param("AttributeNames", []) or []
    return "All" in names or DEAD_LETTER_SOURCE in names


def install() -> None:
    Queue.add_message = add_message  # type: ignore[method-assign]
