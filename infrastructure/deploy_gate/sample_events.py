"""A sample event for each function, shaped as its event source delivers it: an API
Gateway REST proxy event for a route, an SQS batch for a queue consumer, a DynamoDB
stream batch for a stream consumer, an MSK batch for a Kafka consumer."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.event_sources.dynamodb_streams.mapping import stream_mappings
from localcloud.event_sources.kafka.events import KafkaRecord, msk_event
from localcloud.event_sources.kafka.mapping import KafkaMapping
from localcloud.event_sources.kafka.provisioning import kafka_stack_of
from localcloud.event_sources.rabbitmq.events import RabbitMQMessage, rmq_event
from localcloud.event_sources.rabbitmq.mapping import RabbitMQMapping
from localcloud.event_sources.rabbitmq.provisioning import rabbitmq_stack_of
from localcloud.event_sources.sqs.mapping import sqs_mappings
from localcloud.model import Route, Stack

from .runtimes import REPO_ROOT

EVENTS_DIR = REPO_ROOT / "events"
API_SAMPLE = Path("api/list_pets.json")
SQS_SAMPLE = Path("sqs/order_placed.json")
STREAM_SAMPLE = Path("dynamodb/orders_outbox_order_placed.json")
SAMPLE_ID = "00000000-0000-4000-8000-000000000000"
NO_BROKER = "127.0.0.1:9"
"""Where a sample Kafka batch says it came from: nothing listens there."""
SAMPLE_CLAIMS = {
    "sub": SAMPLE_ID,
    "cognito:username": "deploy-gate",
    "cognito:groups": "admin",
    "token_use": "id",
}
_PATH_PARAMETER = re.compile(r"\{([^}+]+)\+?\}")


@dataclass(frozen=True)
class SampleEvent:
    source: str
    """What delivers it, e.g. "GET /pets/{petId}" or "SQS"."""
    event: dict[str, Any]


def sample_event(stack: Stack, function: str, events_dir: Path = EVENTS_DIR) -> SampleEvent:
    for route in stack.routes:
        if route.function == function:
            return SampleEvent(f"{route.method} {route.path}", _api_event(route, events_dir))
    for queue in sqs_mappings(stack):
        if queue.function == function:
            sample = _load(events_dir / SQS_SAMPLE)
            return SampleEvent("SQS", _with_source_arn(sample, queue.queue_arn))
    for stream in stream_mappings(stack):
        if stream.function == function:
            sample = _load(events_dir / STREAM_SAMPLE)
            return SampleEvent("DynamoDB stream", _with_source_arn(sample, stream.stream_arn))
    for topic in kafka_stack_of(stack).mappings:
        if topic.function == function:
            return SampleEvent(f"Kafka {topic.topic}", _kafka_event(topic, events_dir))
    for consumer in rabbitmq_stack_of(stack).mappings:
        if consumer.function == function:
            return SampleEvent(f"RabbitMQ {consumer.queue}", _rmq_event(consumer, events_dir))
    return SampleEvent("direct invoke", {})


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _api_event(route: Route, events_dir: Path) -> dict[str, Any]:
    event = _load(events_dir / API_SAMPLE)
    method = "GET" if route.method == "ANY" else route.method
    parameters = {name: SAMPLE_ID for name in _PATH_PARAMETER.findall(route.path)}
    path = _PATH_PARAMETER.sub(SAMPLE_ID, route.path)
    event.update(resource=route.path, path=path, httpMethod=method)
    event["pathParameters"] = parameters or None
    context = event.setdefault("requestContext", {})
    context.update(resourcePath=route.path, httpMethod=method)
    if route.auth == "COGNITO":
        # What the authorizer hands on for a signed-in admin: the handler runs past its
        # identity checks into its own code, and the imports that code does on first use.
        context["authorizer"] = {"claims": SAMPLE_CLAIMS}
    return event


def _with_source_arn(sample: dict[str, Any], arn: str) -> dict[str, Any]:
    event = copy.deepcopy(sample)
    for record in event["Records"]:
        record["eventSourceARN"] = arn
    return event


def _kafka_event(mapping: KafkaMapping, events_dir: Path) -> dict[str, Any]:
    """The SQS sample's message as the value of a record on the mapping's topic."""
    body = _load(events_dir / SQS_SAMPLE)["Records"][0]["body"]
    record = KafkaRecord(
        topic=mapping.topic,
        partition=0,
        offset=0,
        timestamp_ms=0,
        timestamp_type="CREATE_TIME",
        key=None,
        value=body.encode(),
    )
    return msk_event([record], mapping, NO_BROKER)


def _rmq_event(mapping: RabbitMQMapping, events_dir: Path) -> dict[str, Any]:
    """The SQS sample's message as the body of a message of the mapping's queue."""
    body = _load(events_dir / SQS_SAMPLE)["Records"][0]["body"]
    message = RabbitMQMessage(
        delivery_tag=1, body=body.encode(), redelivered=False, properties={"delivery_mode": 2}
    )
    return rmq_event([message], mapping)
