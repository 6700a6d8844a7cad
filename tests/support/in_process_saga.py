"""The services' real handlers, wired as template.yaml wires them, run in-process inside
moto's `mock_aws()`: for unit tests of the saga that must not open a socket.

The template is read as the local cloud reads it (`localcloud.cloudformation`): SAM's
transform turns each function's `Events` into AWS::Lambda::EventSourceMapping resources,
and the local cloud's resolver turns every `!Ref` and `!GetAtt` into the resources made
here. Every table, topic, queue (with its dead-letter queue) and subscription (with the
template's attributes) is created in moto under its logical id; every function's
environment points at them. `settle()` then plays the event source mappings: it hands
new stream records of each table to its outbox publisher and the messages of each queue
to its consumer, in the events the local cloud builds (`localcloud.event_sources`), with
partial batch responses read as the local cloud reads them, until nothing moves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from localcloud.cloudformation.intrinsics import (
    IntrinsicResolver,
    cfn_string,
    referenced_names,
    resolve_parameters,
)
from localcloud.cloudformation.provisioning.context import Resource
from localcloud.cloudformation.template import parse_template, transform_template
from localcloud.event_sources.batch_failures import failed_items
from localcloud.event_sources.dynamodb_streams.events import dynamodb_stream_event
from localcloud.event_sources.ordered_retry import attempt_from
from localcloud.event_sources.properties import reports_item_failures
from localcloud.event_sources.sqs.events import sqs_event, sqs_record
from localcloud.lambda_.worker import load_handler
from localcloud.model import InvocationResult
from support.rest_api_invocation import LambdaContextStub

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
STACK_NAME = "petstore"
REGION = "us-east-1"
MAX_RECEIVE_COUNT = 3
"""Receives before a message goes to its dead-letter queue. In-process no time passes:
every queue hides a received message for no time at all, so a failed message is due
again in the next round, and three rounds move a poison message aside."""
SQS_BATCH_LIMIT = 10
"""The most messages one ReceiveMessage returns."""
SUBSCRIPTION_ATTRIBUTES = ("FilterPolicyScope", "FilterPolicy", "RawMessageDelivery")


@cache
def source_template() -> dict[str, Any]:
    """template.yaml as written (SAM resource types included)."""
    return parse_template(TEMPLATE_PATH.read_text())


@cache
def deployed_template() -> dict[str, Any]:
    """template.yaml in plain CloudFormation, after SAM's transform, as the local cloud
    provisions it."""
    source = source_template()
    parameters = resolve_parameters(source.get("Parameters") or {})
    loaded = transform_template(
        source, TEMPLATE_PATH.parent, region=REGION, parameter_values=parameters
    )
    return loaded.template


def resources_of_type(kind: str) -> dict[str, dict[str, Any]]:
    """The Properties of template.yaml's resources of type `kind`, as written."""
    return _properties_of(source_template(), kind)


def _deployed_of_type(kind: str) -> dict[str, dict[str, Any]]:
    return _properties_of(deployed_template(), kind)


def _properties_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource.get("Properties") or {}
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


@dataclass(frozen=True)
class Consumer:
    function: str
    handler: str
    queue: str
    batch_size: int = 10
    report_batch_item_failures: bool = False


@dataclass(frozen=True)
class StreamPublisher:
    function: str
    handler: str
    table: str
    batch_size: int = 100
    report_batch_item_failures: bool = False


@dataclass(frozen=True)
class Subscription:
    topic: str
    queue: str
    event_types: frozenset[str]
    logical_id: str


def _named(value: Any) -> str:
    """The one logical id that a `!Ref` or `!GetAtt` names."""
    [logical_id] = referenced_names(value)
    return logical_id


def _function_named(value: Any) -> str:
    """The function a mapping invokes, named directly or through one of its aliases."""
    named = _named(value)
    alias = _deployed_of_type("AWS::Lambda::Alias").get(named)
    return _named(alias["FunctionName"]) if alias is not None else named


def _mappings_of(source_type: str) -> Iterator[tuple[str, str, str, Resource]]:
    """The function, its handler, the source's logical id and the mapping itself, of each
    event source mapping that reads a resource of `source_type`."""
    resources = deployed_template()["Resources"]
    functions = _deployed_of_type("AWS::Lambda::Function")
    for logical_id, properties in _deployed_of_type("AWS::Lambda::EventSourceMapping").items():
        source = _named(properties["EventSourceArn"])
        if resources[source]["Type"] == source_type:
            function = _function_named(properties["FunctionName"])
            mapping = Resource(logical_id, "AWS::Lambda::EventSourceMapping", properties)
            yield function, str(functions[function]["Handler"]), source, mapping


def consumers() -> list[Consumer]:
    return [
        Consumer(
            function,
            handler,
            queue,
            mapping.integer("BatchSize") or 10,
            reports_item_failures(mapping),
        )
        for function, handler, queue, mapping in _mappings_of("AWS::SQS::Queue")
    ]


def stream_publishers() -> list[StreamPublisher]:
    return [
        StreamPublisher(
            function,
            handler,
            table,
            mapping.integer("BatchSize") or 100,
            reports_item_failures(mapping),
        )
        for function, handler, table, mapping in _mappings_of("AWS::DynamoDB::Table")
    ]


def subscriptions() -> list[Subscription]:
    """The queues' subscriptions to the event topics (not the operators' e-mail)."""
    return [
        Subscription(
            topic=_named(properties["TopicArn"]),
            queue=_named(properties["Endpoint"]),
            event_types=frozenset(properties.get("FilterPolicy", {}).get("type", [])),
            logical_id=logical_id,
        )
        for logical_id, properties in _deployed_of_type("AWS::SNS::Subscription").items()
        if properties["Protocol"] == "sqs"
    ]


@cache
def client(service: str) -> Any:
    """One client per service, kept: moto intercepts every client while its mock is on.
    Stream calls stay on the classic endpoint: botocore would send them to an
    account-id endpoint, which moto does not route."""
    return boto3.client(  # type: ignore[call-overload]
        service, region_name=REGION, config=Config(account_id_endpoint_mode="disabled")
    )


def _invoke(function: str, handler: str, event: dict[str, Any]) -> InvocationResult:
    """The handler, loaded as the local cloud's worker loads it, called with the event. Its
    exception is raised to the test rather than retried: in-process it is a bug to see,
    not a fault to ride out."""
    payload = load_handler(handler)(event, LambdaContextStub(function))
    return InvocationResult(ok=True, payload=payload)


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
    queue_arns: dict[str, str] = field(default_factory=dict)
    stream_arns: dict[str, str] = field(default_factory=dict)
    user_pool_id: str = ""
    _published: list[Any] = field(default_factory=list)
    _read_up_to: dict[str, str] = field(default_factory=dict)
    _shard_ids: dict[str, str] = field(default_factory=dict)
    _pending_stream_records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    # ---------------------------------------------------------------- moving events
    def settle(self, max_rounds: int = 100) -> None:
        """Publish every outbox and consume every queue until nothing is left to do."""
        for _ in range(max_rounds):
            if not (self.publish_outboxes() | self.consume_queues()):
                return
        raise AssertionError(f"The saga did not settle within {max_rounds} rounds")

    def publish_outboxes(self) -> bool:
        """Run each outbox publisher over its table's new stream records, a batch at a
        time; True if there were any. A batch that fails is retried from its first failed
        record in the next round, and holds back the records behind it, as Lambda does."""
        moved = False
        for publisher in stream_publishers():
            while records := self._stream_records(publisher):
                moved = True
                retry = self._publish(publisher, records)
                if retry:
                    self._pending_stream_records[publisher.table] = retry
                    break
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
                QueueUrl=url,
                MaxNumberOfMessages=min(consumer.batch_size, SQS_BATCH_LIMIT),
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                continue
            moved = True
            event = sqs_event(messages, self.queue_arns[consumer.queue], REGION)
            failed = self.invoke_consumer(consumer, event["Records"])
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return moved

    def invoke_consumer(self, consumer: Consumer, records: list[dict[str, Any]]) -> set[str]:
        """The message ids the consumer reported as failed."""
        result = _invoke(consumer.function, consumer.handler, {"Records": records})
        ids = [record["messageId"] for record in records]
        return failed_items(result, ids, consumer.report_batch_item_failures)

    def deliver_again(self, events: Iterable[Any]) -> None:
        """Deliver each event to every consumer subscribed to its type, as SNS would:
        each consumer gets them in the order given, a batch at a time."""
        batches: dict[Consumer, list[dict[str, Any]]] = {}
        for index, event in enumerate(events):
            for consumer in self.consumers_of(event.type):
                message = _message(f"again-{index}", event.to_json())
                record = sqs_record(message, self.queue_arns[consumer.queue], REGION)
                batches.setdefault(consumer, []).append(record)
        for consumer, records in batches.items():
            size = min(consumer.batch_size, SQS_BATCH_LIMIT)
            for start in range(0, len(records), size):
                failed = self.invoke_consumer(consumer, records[start : start + size])
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
    def _publish(
        self, publisher: StreamPublisher, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Invoke the publisher with a batch; the records to retry (none if it succeeded)."""
        event = dynamodb_stream_event(records, self.stream_arns[publisher.table], REGION)
        result = _invoke(publisher.function, publisher.handler, event)
        numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
        failed = failed_items(result, numbers, publisher.report_batch_item_failures)
        indexes = {index for index, number in enumerate(numbers) if number in failed}
        return attempt_from(result, records, indexes).retry

    def _stream_records(self, publisher: StreamPublisher) -> list[dict[str, Any]]:
        """The next batch of the table's stream as GetRecords returns it: the records of
        a failed batch first. The iterator is taken afresh each time: moto swaps in a
        copy of the table (and of its stream) when a transaction is cancelled, so an
        iterator kept from before reads the discarded copy, with the cancelled writes
        and without any later ones."""
        table = publisher.table
        pending = self._pending_stream_records.pop(table, [])
        if pending:
            return pending
        streams = client("dynamodbstreams")
        stream_arn = self.stream_arns[table]
        if table not in self._shard_ids:
            description = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
            self._shard_ids[table] = description["Shards"][0]["ShardId"]
        position: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        if table in self._read_up_to:
            position = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "SequenceNumber": self._read_up_to[table],
            }
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=self._shard_ids[table], **position
        )["ShardIterator"]
        records: list[dict[str, Any]] = streams.get_records(
            ShardIterator=iterator, Limit=publisher.batch_size
        )["Records"]
        if records:
            self._read_up_to[table] = records[-1]["dynamodb"]["SequenceNumber"]
        return records


def _message(message_id: str, body: str) -> dict[str, Any]:
    """A message as ReceiveMessage returns it, for an event delivered once more."""
    return {
        "MessageId": message_id,
        "ReceiptHandle": message_id,
        "MD5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "Body": body,
    }


def create_in_process_saga() -> InProcessSaga:
    """Inside an active `mock_aws()`: every resource of the template, and the functions'
    environment (also set in `os.environ` by the caller)."""
    resolver = IntrinsicResolver(deployed_template(), stack_name=STACK_NAME, region=REGION)
    table_names, stream_arns = _create_tables(resolver)
    topic_arns = _create_topics(resolver)
    queue_urls, queue_arns, dead_letter_urls = _create_queues(resolver)
    user_pool_id = _create_user_pool(resolver)
    sns = client("sns")
    for subscription in subscriptions():
        properties = resolver.resolve(
            _deployed_of_type("AWS::SNS::Subscription")[subscription.logical_id],
            subscription.logical_id,
        )
        sns.subscribe(
            TopicArn=properties["TopicArn"],
            Protocol=properties["Protocol"],
            Endpoint=properties["Endpoint"],
            Attributes={
                name: _attribute_text(properties[name])
                for name in SUBSCRIPTION_ATTRIBUTES
                if name in properties
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
    return InProcessSaga(
        table_names=table_names,
        topic_arns=topic_arns,
        queue_urls=queue_urls,
        dead_letter_queue_urls=dead_letter_urls,
        environment=_functions_environment(resolver),
        tap_url=tap_url,
        queue_arns=queue_arns,
        stream_arns=stream_arns,
        user_pool_id=user_pool_id,
    )


def create_table(logical_id: str, table_name: str) -> str:
    """A table as the template defines `logical_id`, named `table_name`."""
    return str(_create_table(logical_id, table_name)["TableName"])


def _create_table(logical_id: str, table_name: str) -> dict[str, Any]:
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
    description: dict[str, Any] = client("dynamodb").create_table(**request)["TableDescription"]
    return description


def _create_tables(resolver: IntrinsicResolver) -> tuple[dict[str, str], dict[str, str]]:
    names: dict[str, str] = {}
    stream_arns: dict[str, str] = {}
    for logical_id in _deployed_of_type("AWS::DynamoDB::Table"):
        table = _create_table(logical_id, logical_id)
        names[logical_id] = table["TableName"]
        attributes = {"Arn": table["TableArn"]}
        if "LatestStreamArn" in table:
            attributes["StreamArn"] = stream_arns[logical_id] = table["LatestStreamArn"]
        resolver.register(logical_id, logical_id, attributes)
    return names, stream_arns


def _create_topics(resolver: IntrinsicResolver) -> dict[str, str]:
    arns = {}
    for logical_id in _deployed_of_type("AWS::SNS::Topic"):
        arns[logical_id] = client("sns").create_topic(Name=logical_id)["TopicArn"]
        resolver.register(logical_id, arns[logical_id], {"TopicArn": arns[logical_id]})
    return arns


def _create_queues(
    resolver: IntrinsicResolver,
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Each queue after its dead-letter queue, with the template's redrive policy but
    MAX_RECEIVE_COUNT receives and no visibility timeout."""
    queues = _deployed_of_type("AWS::SQS::Queue")
    ordered = sorted(queues, key=lambda logical_id: "RedrivePolicy" in queues[logical_id])
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    dead_letters: dict[str, str] = {}
    sqs = client("sqs")
    for logical_id in ordered:
        attributes = {}
        redrive = queues[logical_id].get("RedrivePolicy")
        if redrive:
            policy = resolver.resolve(redrive, logical_id, "RedrivePolicy")
            policy["maxReceiveCount"] = MAX_RECEIVE_COUNT
            attributes = {"VisibilityTimeout": "0", "RedrivePolicy": json.dumps(policy)}
            dead_letters[logical_id] = urls[_named(redrive["deadLetterTargetArn"])]
        urls[logical_id] = sqs.create_queue(QueueName=logical_id, Attributes=attributes)["QueueUrl"]
        arns[logical_id] = _queue_arn(urls[logical_id])
        resolver.register(
            logical_id,
            urls[logical_id],
            {"Arn": arns[logical_id], "QueueName": logical_id, "QueueUrl": urls[logical_id]},
        )
    return urls, arns, dead_letters


def _create_user_pool(resolver: IntrinsicResolver) -> str:
    """The shoppers' pool, empty: a test adds the users it needs."""
    pool = client("cognito-idp").create_user_pool(
        PoolName="UserPool", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"]
    )["UserPool"]
    resolver.register("UserPool", pool["Id"], {"Arn": pool["Arn"], "ProviderName": pool["Id"]})
    return str(pool["Id"])


def _queue_arn(url: str) -> str:
    """A queue URL ends in /<account>/<name>, which saves asking moto for the ARN."""
    account, name = url.rsplit("/", 2)[-2:]
    return f"arn:aws:sqs:{REGION}:{account}:{name}"


def _attribute_text(value: Any) -> str:
    """An SNS attribute as CloudFormation passes it: documents as JSON, scalars as text."""
    return json.dumps(value) if isinstance(value, dict | list) else cfn_string(value)


def _functions_environment(resolver: IntrinsicResolver) -> dict[str, str]:
    """The functions' variables that every function setting them sets alike (the names
    of resources, the provider, the metrics namespace): one process runs them all."""
    values: dict[str, set[str]] = {}
    for logical_id, properties in _deployed_of_type("AWS::Lambda::Function").items():
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        for name, value in resolver.resolve(variables, logical_id).items():
            values.setdefault(name, set()).add(cfn_string(value))
    return {name: next(iter(value)) for name, value in values.items() if len(value) == 1}
