"""`petstore dlq`: the dead-letter queues of the running local cloud, their messages with
the error each one failed with, and redrive back to where they came from.

Each transport's dead letters sit behind `DeadLetters`: `SqsDeadLetters` for the SNS/SQS
variant (every queue that another queue's RedrivePolicy names); the Kafka variant's DLQ
topic gets an implementation of its own, registered in `TRANSPORTS`.

SQS keeps no error with a dead letter: the consumer logs each failure with the event's
id (`Event failed…`), and the error is found in the functions' log groups, as an
operator would find it in CloudWatch Logs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from localcloud.emulator.access import EmulatorAccess

FAILED_EVENT_PATTERN = '"Event failed"'
LAMBDA_LOG_GROUPS = "/aws/lambda/"
HIDE_WHILE_READING_S = 30
MESSAGE_ATTRIBUTE_FIELDS = ("DataType", "StringValue", "BinaryValue")


class DeadLetterError(Exception):
    """A queue or message the user named does not exist, or is ambiguous."""


@dataclass(frozen=True)
class DeadLetterQueue:
    name: str
    sources: tuple[str, ...]
    """The queues (or topics) whose consumers' failures land here."""
    depth: int


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    body: str
    sent_at: datetime | None = None
    event_id: str | None = None
    event_type: str | None = None
    correlation_id: str | None = None
    errors: tuple[str, ...] = ()
    """Why it failed, as each consumer that failed it logged it ("function: error")."""


class DeadLetters(Protocol):
    """The dead letters of one transport."""

    def queues(self) -> list[DeadLetterQueue]: ...

    def messages(self, queue: str) -> list[DeadLetter]: ...

    def redrive(self, queue: str, message_id: str | None = None) -> list[str]:
        """Moves the queue's messages (or the one named) back to their source; the ids
        of the messages moved."""
        ...


@dataclass
class _Queue:
    url: str
    name: str
    arn: str
    depth: int
    dead_letter_target: str | None


@dataclass
class _Topology:
    queues: dict[str, _Queue] = field(default_factory=dict)
    """By ARN."""

    def sources_of(self, dlq: _Queue) -> list[_Queue]:
        return [queue for queue in self.queues.values() if queue.dead_letter_target == dlq.arn]

    def dead_letter_queues(self) -> list[_Queue]:
        targets = {queue.dead_letter_target for queue in self.queues.values()}
        return sorted(
            (queue for queue in self.queues.values() if queue.arn in targets),
            key=lambda queue: queue.name,
        )


class SqsDeadLetters:
    """Every SQS queue that another queue's RedrivePolicy names as its dead-letter queue."""

    def __init__(self, sqs: Any, logs: Any) -> None:
        self._sqs = sqs
        self._logs = logs

    def queues(self) -> list[DeadLetterQueue]:
        topology = self._topology()
        return [
            DeadLetterQueue(
                dlq.name, tuple(source.name for source in topology.sources_of(dlq)), dlq.depth
            )
            for dlq in topology.dead_letter_queues()
        ]

    def messages(self, queue: str) -> list[DeadLetter]:
        dlq = self._find(self._topology(), queue)
        with self._hidden_messages(dlq) as messages:
            errors = failures_by_event_id(self._logs)
            return [_dead_letter(message, errors) for message in messages]

    def redrive(self, queue: str, message_id: str | None = None) -> list[str]:
        topology = self._topology()
        dlq = self._find(topology, queue)
        sources = topology.sources_of(dlq)
        if len(sources) != 1:
            raise DeadLetterError(
                f"{dlq.name} is the dead-letter queue of {len(sources)} queues: "
                "redrive needs exactly one source"
            )
        moved = []
        with self._hidden_messages(dlq) as messages:
            chosen = [m for m in messages if message_id in (None, m["MessageId"])]
            if message_id is not None and not chosen:
                raise DeadLetterError(f"No message {message_id} in {dlq.name}")
            for message in chosen:
                self._sqs.send_message(
                    QueueUrl=sources[0].url,
                    MessageBody=message["Body"],
                    MessageAttributes=_sendable_attributes(message.get("MessageAttributes", {})),
                )
                self._sqs.delete_message(QueueUrl=dlq.url, ReceiptHandle=message["ReceiptHandle"])
                moved.append(message["MessageId"])
        return moved

    def _topology(self) -> _Topology:
        topology = _Topology()
        for url in self._sqs.list_queues().get("QueueUrls", []):
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "QueueArn",
                    "RedrivePolicy",
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            redrive_policy = json.loads(attributes.get("RedrivePolicy") or "{}")
            topology.queues[attributes["QueueArn"]] = _Queue(
                url=url,
                name=url.rsplit("/", 1)[-1],
                arn=attributes["QueueArn"],
                depth=int(attributes.get("ApproximateNumberOfMessages", 0))
                + int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
                dead_letter_target=redrive_policy.get("deadLetterTargetArn"),
            )
        return topology

    @staticmethod
    def _find(topology: _Topology, wanted: str) -> _Queue:
        """The dead-letter queue by its name, or by a part of it only it has."""
        queues = topology.dead_letter_queues()
        exact = [queue for queue in queues if queue.name == wanted]
        found = exact or [queue for queue in queues if wanted.lower() in queue.name.lower()]
        if len(found) == 1:
            return found[0]
        names = ", ".join(queue.name for queue in found or queues) or "none"
        what = "matches" if found else "is not a dead-letter queue; they are"
        raise DeadLetterError(f"{wanted!r} {what}: {names}")

    @contextmanager
    def _hidden_messages(self, dlq: _Queue) -> Iterator[list[dict[str, Any]]]:
        """Every message of the queue, received (so hidden) while the caller uses them;
        those the caller did not delete are visible again afterwards."""
        messages: list[dict[str, Any]] = []
        while True:
            batch = self._sqs.receive_message(
                QueueUrl=dlq.url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=HIDE_WHILE_READING_S,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                break
            messages += batch
        try:
            yield messages
        finally:
            for message in messages:
                try:
                    self._sqs.change_message_visibility(
                        QueueUrl=dlq.url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=0,
                    )
                except self._sqs.exceptions.ReceiptHandleIsInvalid:
                    continue


def _sendable_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {key: value[key] for key in MESSAGE_ATTRIBUTE_FIELDS if key in value}
        for name, value in attributes.items()
    }


def _dead_letter(message: dict[str, Any], errors: dict[str, list[str]]) -> DeadLetter:
    envelope = _json_object(message["Body"])
    event_id = _text(envelope.get("id"))
    system = message.get("Attributes", {})
    sent_ms = system.get("SentTimestamp")
    found = tuple(errors.get(event_id, ())) if event_id else ()
    if not found and not event_id:
        found = ("the body is not an event envelope (no id): the consumer could not read it",)
    return DeadLetter(
        message_id=message["MessageId"],
        body=message["Body"],
        sent_at=datetime.fromtimestamp(int(sent_ms) / 1000, UTC) if sent_ms else None,
        event_id=event_id,
        event_type=_text(envelope.get("type")),
        correlation_id=_text(envelope.get("correlationId")),
        errors=found,
    )


def failures_by_event_id(logs: Any) -> dict[str, list[str]]:
    """Each failed event's errors, as its consumers logged them: "function: error"."""
    return failures_by(logs, FAILED_EVENT_PATTERN, "event_id")


def failures_by(logs: Any, pattern: str, key: str) -> dict[str, list[str]]:
    """The errors of the log lines matching `pattern`, by their `key` ("function: error")."""
    failures: dict[str, list[str]] = {}
    groups = logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix=LAMBDA_LOG_GROUPS
    )
    for page in groups:
        for group in page.get("logGroups", []):
            function = group["logGroupName"].removeprefix(LAMBDA_LOG_GROUPS)
            for line in _lines_matching(logs, group["logGroupName"], pattern):
                logged = _json_object(line)
                named = _text(logged.get(key))
                if named:
                    failures.setdefault(named, []).append(f"{function}: {_error_of(logged)}")
    return {named: _unique(errors) for named, errors in failures.items()}


def _lines_matching(logs: Any, group: str, pattern: str) -> Iterator[str]:
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, filterPattern=pattern
    )
    for page in pages:
        for event in page.get("events", []):
            yield event["message"]


def _error_of(logged: dict[str, Any]) -> str:
    """The exception's last line ("ValueError: …"), else its name and message."""
    trace = _text(logged.get("exception")) or ""
    last = trace.strip().splitlines()[-1] if trace.strip() else ""
    return last or _text(logged.get("exception_name")) or _text(logged.get("message")) or "?"


def _unique(errors: list[str]) -> list[str]:
    return list(dict.fromkeys(errors))


def _json_object(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


DeadLettersFactory = Callable[[str, str, "EmulatorAccess"], DeadLetters]
"""(emulator endpoint URL, region, the run's access) -> the transport's dead letters."""


def sqs_dead_letters(endpoint_url: str, region: str, access: EmulatorAccess) -> DeadLetters:
    import boto3

    def client(service: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access.access_key_id,
            aws_secret_access_key=access.secret_access_key,
        )

    return SqsDeadLetters(client("sqs"), client("logs"))


def kafka_dead_letters(endpoint_url: str, region: str, access: EmulatorAccess) -> DeadLetters:
    from petstore_cli.kafka_dead_letters import running_kafka_dead_letters

    return running_kafka_dead_letters(endpoint_url, region)


def rabbitmq_dead_letters(endpoint_url: str, region: str, access: EmulatorAccess) -> DeadLetters:
    from petstore_cli.rabbitmq_dead_letters import running_rabbitmq_dead_letters

    return running_rabbitmq_dead_letters(endpoint_url, region, access)


TRANSPORTS: dict[str, DeadLettersFactory] = {
    "sns": sqs_dead_letters,
    "kafka": kafka_dead_letters,
    "rabbitmq": rabbitmq_dead_letters,
}


# ---------------------------------------------------------------- the commands' output


def print_queues(queues: list[DeadLetterQueue], write: Callable[[str], object] = print) -> None:
    if not queues:
        write("No dead-letter queues.")
        return
    width = max(len(queue.name) for queue in queues)
    write(f"{'DEAD-LETTER QUEUE'.ljust(width)}  DEPTH  SOURCE")
    for queue in queues:
        write(f"{queue.name.ljust(width)}  {queue.depth:>5}  {', '.join(queue.sources)}")


def print_messages(
    queue: str, messages: list[DeadLetter], write: Callable[[str], object] = print
) -> None:
    write(f"{queue}: {len(messages)} message{'s' if len(messages) != 1 else ''}")
    for letter in messages:
        write("")
        write(f"message {letter.message_id}")
        if letter.event_type or letter.correlation_id:
            write(f"  event      {letter.event_type or '?'} (order {letter.correlation_id or '?'})")
        if letter.sent_at is not None:
            write(f"  sent       {letter.sent_at:%Y-%m-%d %H:%M:%S} UTC")
        for error in letter.errors or ("not found in the functions' logs",):
            write(f"  error      {error}")
        write(f"  body       {letter.body}")
