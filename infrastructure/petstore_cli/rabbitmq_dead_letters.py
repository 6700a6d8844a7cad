"""`petstore dlq` for the RabbitMQ variant: each consumer queue's dead-letter queue (the
queue its dead-letter exchange routes to), its messages with the error each failed with,
and redrive straight back to the one queue whose consumer failed them, as SQS redrive
reaches only the failed consumer's queue.

The broker keeps why it dead-lettered a message in its `x-death` header (the delivery
limit); why the consumer failed it is in the functions' log groups, as an operator finds
it in CloudWatch Logs: an event by its id (`Event failed…`), a message that is no event
by its message id (`Unreadable message…`: its messageId property, else a digest of its
body that the consumer computes the same way).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from localcloud.event_sources.rabbitmq.broker import connect
from petstore_cli import running_cloud
from petstore_cli.dlq import (
    DeadLetter,
    DeadLetterError,
    DeadLetterQueue,
    DeadLetters,
    failures_by,
    failures_by_event_id,
)

if TYPE_CHECKING:
    from localcloud.emulator.access import EmulatorAccess

UNREADABLE_PATTERN = '"Unreadable message"'
CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class _Message:
    delivery_tag: int
    body: bytes
    properties: Any

    @property
    def message_id(self) -> str:
        """The consumer's name for it (petstore_shared.events.records.rmq_message_id)."""
        given = self.properties.message_id
        if isinstance(given, str) and given:
            return given
        return "sha256:" + hashlib.sha256(self.body).hexdigest()[:32]


class RabbitMQDeadLetters:
    def __init__(self, url: str, sources: Mapping[str, Sequence[str]], logs: Any) -> None:
        self._url = url
        self._sources = {queue: tuple(names) for queue, names in sources.items()}
        self._logs = logs

    def queues(self) -> list[DeadLetterQueue]:
        connection = connect(self._url, CONNECT_TIMEOUT_S)
        try:
            channel = connection.channel()
            return [
                DeadLetterQueue(name, sources, _depth(channel, name))
                for name, sources in sorted(self._sources.items())
            ]
        finally:
            connection.close()

    def messages(self, queue: str) -> list[DeadLetter]:
        name = self._find(queue)
        with self._held(name) as (_channel, messages):
            by_event = failures_by_event_id(self._logs)
            by_message = failures_by(self._logs, UNREADABLE_PATTERN, "message_id")
            return [_dead_letter(message, by_event, by_message) for message in messages]

    def redrive(self, queue: str, message_id: str | None = None) -> list[str]:
        name = self._find(queue)
        sources = self._sources[name]
        if len(sources) != 1:
            raise DeadLetterError(
                f"{name} is the dead-letter queue of {len(sources)} queues: "
                "redrive needs exactly one source"
            )
        moved = []
        with self._held(name) as (channel, messages):
            chosen = [m for m in messages if message_id in (None, m.message_id)]
            if message_id is not None and not chosen:
                raise DeadLetterError(f"No message {message_id} in {name}")
            channel.confirm_delivery()
            for message in chosen:
                headers = dict(message.properties.headers or {})
                headers.pop("x-death", None)
                for key in [key for key in headers if key.startswith("x-first-death")]:
                    headers.pop(key)
                message.properties.headers = headers
                # The default exchange routes by queue name: to the failed consumer only.
                channel.basic_publish("", sources[0], message.body, message.properties)
                channel.basic_ack(message.delivery_tag)
                moved.append(message.message_id)
        return moved

    def _find(self, wanted: str) -> str:
        names = sorted(self._sources)
        exact = [name for name in names if name == wanted]
        found = exact or [name for name in names if wanted.lower() in name.lower()]
        if len(found) == 1:
            return found[0]
        listed = ", ".join(found or names) or "none"
        what = "matches" if found else "is not a dead-letter queue; they are"
        raise DeadLetterError(f"{wanted!r} {what}: {listed}")

    @contextmanager
    def _held(self, queue: str) -> Iterator[tuple[Any, list[_Message]]]:
        """Every message of the queue, received unacknowledged while the caller uses them;
        those the caller did not acknowledge go back to the queue afterwards."""
        connection = connect(self._url, CONNECT_TIMEOUT_S)
        try:
            channel = connection.channel()
            messages = []
            while True:
                method, properties, body = channel.basic_get(queue, auto_ack=False)
                if method is None:
                    break
                messages.append(_Message(method.delivery_tag, body, properties))
            yield channel, messages
        finally:
            connection.close()


def _depth(channel: Any, queue: str) -> int:
    return int(channel.queue_declare(queue, passive=True).method.message_count)


def _dead_letter(
    message: _Message, by_event: Mapping[str, list[str]], by_message: Mapping[str, list[str]]
) -> DeadLetter:
    body = message.body.decode(errors="replace")
    try:
        envelope = json.loads(body)
    except ValueError:
        envelope = None
    envelope = envelope if isinstance(envelope, dict) else {}
    event_id = _text(envelope.get("id"))
    errors = list(by_event.get(event_id, ())) if event_id else []
    errors += by_message.get(message.message_id, [])
    if not errors and not event_id:
        errors.append("the body is not an event envelope (no id): the consumer could not read it")
    errors += _broker_reasons(message.properties.headers or {})
    timestamp = message.properties.timestamp
    return DeadLetter(
        message_id=message.message_id,
        body=body,
        sent_at=datetime.fromtimestamp(timestamp, UTC) if isinstance(timestamp, int) else None,
        event_id=event_id,
        event_type=_text(envelope.get("type")),
        correlation_id=_text(envelope.get("correlationId")),
        errors=tuple(dict.fromkeys(errors)),
    )


def _broker_reasons(headers: Mapping[str, Any]) -> list[str]:
    """Why the broker dead-lettered it, from its `x-death` header."""
    reasons = []
    for death in headers.get("x-death") or []:
        reason = _text(_decoded(death.get("reason")))
        queue = _text(_decoded(death.get("queue")))
        if reason:
            reasons.append(f"broker: {reason} in queue {queue or '?'}")
    return reasons


def _decoded(value: object) -> object:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def running_rabbitmq_dead_letters(
    endpoint_url: str, region: str, access: EmulatorAccess
) -> DeadLetters:
    """The running local cloud's dead-letter queues (its broker's URL and the queues are in
    its state file) and its functions' logs in the AWS emulator."""
    import boto3

    cloud = running_cloud.load()
    if not cloud.rabbitmq_url:
        raise DeadLetterError(
            "The running local cloud has no RabbitMQ broker: start it with `petstore up "
            "--transport rabbitmq`."
        )
    logs = boto3.client(
        "logs",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access.access_key_id,
        aws_secret_access_key=access.secret_access_key,
    )
    return RabbitMQDeadLetters(cloud.rabbitmq_url, cloud.rabbitmq_dead_letter_queues, logs)
