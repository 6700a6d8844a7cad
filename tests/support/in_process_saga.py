"""The services' real handlers, wired as template.yaml wires them, run in-process inside
moto's `mock_aws()`: for unit tests of the saga that must not open a socket.

Every table, topic, queue (with its dead-letter queue) and subscription (with its filter
policy) of the template is created in moto under its logical id; every function's
environment points at them. `settle()` then plays the event source mappings: it hands
new stream records of each table to its outbox publisher and the messages of each queue
to its consumer, with partial batch responses honoured, until nothing moves.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from localcloud.cloudformation.template import parse_template
from support.rest_api_invocation import LambdaContextStub

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
MAX_RECEIVE_COUNT = 3
REGION = "us-east-1"


@cache
def template_resources() -> dict[str, Any]:
    resources: dict[str, Any] = parse_template(TEMPLATE_PATH.read_text())["Resources"]
    return resources


def resources_of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource.get("Properties") or {}
        for logical_id, resource in template_resources().items()
        if resource["Type"] == kind
    }


@dataclass(frozen=True)
class Consumer:
    function: str
    handler: str
    queue: str


@dataclass(frozen=True)
class StreamPublisher:
    function: str
    handler: str
    table: str


@dataclass(frozen=True)
class Subscription:
    topic: str
    queue: str
    event_types: frozenset[str]


def _referenced(value: Any) -> str:
    """The logical id a `!Ref X` or `!GetAtt X.Attr` names."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def consumers() -> list[Consumer]:
    return [
        Consumer(function, properties["Handler"], _referenced(source["Properties"]["Queue"]))
        for function, properties in resources_of_type("AWS::Serverless::Function").items()
        for source in (properties.get("Events") or {}).values()
        if source["Type"] == "SQS"
    ]


def stream_publishers() -> list[StreamPublisher]:
    return [
        StreamPublisher(
            function, properties["Handler"], _referenced(source["Properties"]["Stream"])
        )
        for function, properties in resources_of_type("AWS::Serverless::Function").items()
        for source in (properties.get("Events") or {}).values()
        if source["Type"] == "DynamoDB"
    ]


def subscriptions() -> list[Subscription]:
    return [
        Subscription(
            topic=_referenced(properties["TopicArn"]),
            queue=_referenced(properties["Endpoint"]),
            event_types=frozenset(properties["FilterPolicy"]["type"]),
        )
        for properties in resources_of_type("AWS::SNS::Subscription").values()
    ]


@cache
def client(service: str) -> Any:
    """One client per service, kept: moto intercepts every client while its mock is on.
    Stream calls stay on the classic endpoint: botocore would send them to an
    account-id endpoint, which moto does not route."""
    return boto3.client(  # type: ignore[call-overload]
        service, region_name=REGION, config=Config(account_id_endpoint_mode="disabled")
    )


def load_handler(handler: str) -> Callable[[dict[str, Any], Any], Any]:
    module_name, _, function_name = handler.rpartition(".")
    function: Callable[[dict[str, Any], Any], Any] = getattr(
        importlib.import_module(module_name), function_name
    )
    return function


@dataclass
class InProcessSaga:
    """The created resources and the pumps that move events between them."""

    table_names: dict[str, str]
    topic_arns: dict[str, str]
    queue_urls: dict[str, str]
    dead_letter_queue_urls: dict[str, str]
    environment: dict[str, str]
    tap_url: str
    """A queue subscribed to every topic with no filter: what was published."""
    _published: list[Any] = field(default_factory=list)
    _read_up_to: dict[str, str] = field(default_factory=dict)
    _stream_shards: dict[str, tuple[str, str]] = field(default_factory=dict)
    _pending_stream_records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    # ---------------------------------------------------------------- moving events
    def settle(self, max_rounds: int = 100) -> None:
        """Publish every outbox and consume every queue until nothing is left to do."""
        for _ in range(max_rounds):
            if not (self.publish_outboxes() | self.consume_queues()):
                return
        raise AssertionError(f"The saga did not settle within {max_rounds} rounds")

    def publish_outboxes(self) -> bool:
        """Run each outbox publisher over its table's new stream records; True if any."""
        moved = False
        for publisher in stream_publishers():
            records = self._stream_records(publisher.table)
            if not records:
                continue
            moved = True
            response = load_handler(publisher.handler)(
                {"Records": records}, LambdaContextStub(publisher.function)
            )
            failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
            # Lambda retries a stream batch from its first failed record onwards.
            first_failed = next(
                (i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] in failed),
                None,
            )
            if first_failed is not None:
                self._pending_stream_records[publisher.table] = records[first_failed:]
        return moved

    def replay_streams(self) -> None:
        """The outbox publishers will read their streams again from the start, as after
        a publisher that crashed before its progress was recorded."""
        self._read_up_to.clear()

    def deliver(self, event_type: str) -> None:
        """Publish every outbox, then consume only the queues subscribed to `event_type`
        until they are empty: those events arrive, and the rest of the saga stays put."""
        self.publish_outboxes()
        while self.consume_queues(self.consumers_of(event_type)):
            pass

    def consume_queues(self, of: Iterable[Consumer] | None = None) -> bool:
        """Hand each queue's visible messages to its consumer (of every consumer, or of
        those given); True if there were any."""
        moved = False
        sqs = client("sqs")
        for consumer in consumers() if of is None else of:
            url = self.queue_urls[consumer.queue]
            messages = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                continue
            moved = True
            failed = self.invoke_consumer(
                consumer, [self._sqs_record(consumer, m) for m in messages]
            )
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return moved

    def invoke_consumer(self, consumer: Consumer, records: list[dict[str, Any]]) -> set[str]:
        """The message ids the consumer reported as failed."""
        response = load_handler(consumer.handler)(
            {"Records": records}, LambdaContextStub(consumer.function)
        )
        return {item["itemIdentifier"] for item in response["batchItemFailures"]}

    def deliver_again(self, events: Iterable[Any]) -> None:
        """Deliver each event to every consumer subscribed to its type, as SNS would:
        each consumer gets them in the order given, ten to a batch."""
        batches: dict[Consumer, list[dict[str, Any]]] = {}
        for index, event in enumerate(events):
            for consumer in self.consumers_of(event.type):
                message = {"MessageId": f"again-{index}", "Body": event.to_json()}
                batches.setdefault(consumer, []).append(self._sqs_record(consumer, message))
        for consumer, records in batches.items():
            for start in range(0, len(records), 10):
                failed = self.invoke_consumer(consumer, records[start : start + 10])
                assert not failed, f"{consumer.function} failed {failed}"

    def consumers_of(self, event_type: str) -> list[Consumer]:
        queues = {s.queue for s in subscriptions() if event_type in s.event_types}
        return [consumer for consumer in consumers() if consumer.queue in queues]

    # ---------------------------------------------------------------- observing
    def published(self) -> list[Any]:
        """Every event published to any topic so far, in the order the tap received them."""
        from petstore_shared.events.registry import parse_event

        sqs = client("sqs")
        while True:
            messages = sqs.receive_message(QueueUrl=self.tap_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return list(self._published)
            for message in messages:
                self._published.append(parse_event(message["Body"]))
                sqs.delete_message(QueueUrl=self.tap_url, ReceiptHandle=message["ReceiptHandle"])

    def items(self, table: str) -> list[dict[str, Any]]:
        dynamodb = client("dynamodb")
        pages = dynamodb.get_paginator("scan").paginate(TableName=self.table_names[table])
        return [item for page in pages for item in page["Items"]]

    def dead_letters(self, queue: str) -> list[str]:
        sqs = client("sqs")
        url = self.dead_letter_queue_urls[queue]
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [message["Body"] for message in messages]

    # ---------------------------------------------------------------- plumbing
    def _stream_records(self, table: str) -> list[dict[str, Any]]:
        """New records of the table's stream. The iterator is taken afresh each time:
        moto swaps in a copy of the table (and of its stream) when a transaction is
        cancelled, so an iterator kept from before reads the discarded copy, with the
        cancelled writes and without any later ones."""
        pending = self._pending_stream_records.pop(table, [])
        streams = client("dynamodbstreams")
        stream_arn, shard_id = self._stream_shard(table)
        position: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        if table in self._read_up_to:
            position = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "SequenceNumber": self._read_up_to[table],
            }
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, **position)[
            "ShardIterator"
        ]
        records = streams.get_records(ShardIterator=iterator)["Records"]
        if records:
            self._read_up_to[table] = records[-1]["dynamodb"]["SequenceNumber"]
        return pending + [_as_lambda_stream_record(record) for record in records]

    def _stream_shard(self, table: str) -> tuple[str, str]:
        if table not in self._stream_shards:
            stream_arn = client("dynamodb").describe_table(TableName=self.table_names[table])[
                "Table"
            ]["LatestStreamArn"]
            description = client("dynamodbstreams").describe_stream(StreamArn=stream_arn)
            shard_id = description["StreamDescription"]["Shards"][0]["ShardId"]
            self._stream_shards[table] = (stream_arn, shard_id)
        return self._stream_shards[table]

    def _sqs_record(self, consumer: Consumer, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message.get("ReceiptHandle", "unused"),
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:{consumer.queue}",
            "awsRegion": REGION,
        }


def _as_lambda_stream_record(record: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB Streams record as Lambda passes it (timestamps as epoch numbers)."""
    document = json.loads(json.dumps(record, default=lambda moment: moment.timestamp()))
    document["eventSource"] = "aws:dynamodb"
    return dict(document)


def create_in_process_saga() -> InProcessSaga:
    """Inside an active `mock_aws()`: every resource of the template, and the functions'
    environment (also set in `os.environ` by the caller)."""
    table_names = {
        logical_id: create_table(logical_id, logical_id)
        for logical_id in resources_of_type("AWS::DynamoDB::Table")
    }
    sns = client("sns")
    topic_arns = {
        logical_id: sns.create_topic(Name=logical_id)["TopicArn"]
        for logical_id in resources_of_type("AWS::SNS::Topic")
    }
    queue_urls, dead_letter_urls = _create_queues()
    for subscription in subscriptions():
        sns.subscribe(
            TopicArn=topic_arns[subscription.topic],
            Protocol="sqs",
            Endpoint=_queue_arn(queue_urls[subscription.queue]),
            Attributes={
                "RawMessageDelivery": "true",
                "FilterPolicyScope": "MessageAttributes",
                "FilterPolicy": json.dumps({"type": sorted(subscription.event_types)}),
            },
        )
    tap_url = client("sqs").create_queue(QueueName="EventTap")["QueueUrl"]
    for topic_arn in topic_arns.values():
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=_queue_arn(tap_url),
            Attributes={"RawMessageDelivery": "true"},
        )
    names = {**table_names, **topic_arns}
    return InProcessSaga(
        table_names=table_names,
        topic_arns=topic_arns,
        queue_urls=queue_urls,
        dead_letter_queue_urls=dead_letter_urls,
        environment=dict(_functions_environment(names)),
        tap_url=tap_url,
    )


def create_table(logical_id: str, table_name: str) -> str:
    """A table as the template defines `logical_id`, named `table_name`."""
    properties = resources_of_type("AWS::DynamoDB::Table")[logical_id]
    request: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties["BillingMode"],
    }
    if "GlobalSecondaryIndexes" in properties:
        request["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
    if "StreamSpecification" in properties:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            **properties["StreamSpecification"],
        }
    client("dynamodb").create_table(**request)
    return table_name


def _create_queues() -> tuple[dict[str, str], dict[str, str]]:
    sqs = client("sqs")
    queues = resources_of_type("AWS::SQS::Queue")
    urls = {}
    dead_letters = {}
    for logical_id in (q for q in queues if "RedrivePolicy" not in queues[q]):
        urls[logical_id] = sqs.create_queue(QueueName=logical_id)["QueueUrl"]
    for logical_id, properties in queues.items():
        if "RedrivePolicy" not in properties:
            continue
        dead_letter = _referenced(properties["RedrivePolicy"]["deadLetterTargetArn"])
        redrive = {
            "deadLetterTargetArn": _queue_arn(urls[dead_letter]),
            "maxReceiveCount": MAX_RECEIVE_COUNT,
        }
        urls[logical_id] = sqs.create_queue(
            QueueName=logical_id,
            Attributes={"VisibilityTimeout": "0", "RedrivePolicy": json.dumps(redrive)},
        )["QueueUrl"]
        dead_letters[logical_id] = urls[dead_letter]
    return urls, dead_letters


def _queue_arn(url: str) -> str:
    return f"arn:aws:sqs:{REGION}:123456789012:{url.rsplit('/', 1)[-1]}"


def _functions_environment(names: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Every function's variables that name a resource (they agree across functions)."""
    for properties in resources_of_type("AWS::Serverless::Function").values():
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        for name, value in variables.items():
            if isinstance(value, dict) and "Ref" in value:
                yield name, names[value["Ref"]]
            elif name == "PAYMENT_PROVIDER":
                yield name, str(value)
