"""What the operations resources are generated from: the template's functions (their API
routes, queues, streams and Kafka topics), its consumer queues with their dead-letter
queues, its stream mappings with their on-failure queues, and its API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CONSUMER_EVENT_TYPES = frozenset({"SQS", "DynamoDB", "Kinesis", "MSK", "SelfManagedKafka"})
STREAM_EVENT_TYPES = frozenset({"DynamoDB", "Kinesis"})
"""Event sources Lambda reads by shard iterator, reporting their IteratorAge."""


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str


@dataclass(frozen=True)
class Function:
    logical_id: str
    service: str
    routes: tuple[ApiRoute, ...] = ()
    consumes: tuple[str, ...] = ()
    """The kinds of event source it consumes (SQS, DynamoDB, MSK…); empty for API-only."""
    on_failure_queues: tuple[str, ...] = ()
    """Logical ids of the SQS queues its stream mappings send given-up records to."""

    @property
    def is_consumer(self) -> bool:
        return bool(self.consumes)

    @property
    def reads_streams(self) -> bool:
        return bool(STREAM_EVENT_TYPES.intersection(self.consumes))


@dataclass(frozen=True)
class Queue:
    logical_id: str
    dead_letter_queue: str


@dataclass(frozen=True)
class StageRef:
    """A stage name given by a template parameter."""

    name: str


@dataclass(frozen=True)
class Api:
    logical_id: str
    stage: str | StageRef


@dataclass
class Inventory:
    functions: list[Function] = field(default_factory=list)
    queues: list[Queue] = field(default_factory=list)
    apis: list[Api] = field(default_factory=list)

    @property
    def routes(self) -> list[tuple[ApiRoute, Function]]:
        return [(route, function) for function in self.functions for route in function.routes]

    @property
    def consumers(self) -> list[Function]:
        return [function for function in self.functions if function.is_consumer]

    @property
    def stream_readers(self) -> list[Function]:
        return [function for function in self.functions if function.reads_streams]


def inventory_of(template: dict[str, Any]) -> Inventory:
    """The template's functions, queues and APIs, in the template's order."""
    inventory = Inventory()
    service_default = _global_environment(template).get("POWERTOOLS_SERVICE_NAME", "")
    for logical_id, resource in template.get("Resources", {}).items():
        kind = resource.get("Type")
        properties = resource.get("Properties") or {}
        if kind == "AWS::Serverless::Function":
            inventory.functions.append(_function(logical_id, properties, service_default))
        elif kind == "AWS::SQS::Queue" and "RedrivePolicy" in properties:
            target = properties["RedrivePolicy"].get("deadLetterTargetArn")
            if isinstance(target, dict) and "Fn::GetAtt" in target:
                inventory.queues.append(Queue(logical_id, target["Fn::GetAtt"][0]))
        elif kind == "AWS::Serverless::Api":
            stage = properties.get("StageName")
            named = StageRef(stage["Ref"]) if isinstance(stage, dict) and "Ref" in stage else None
            inventory.apis.append(Api(logical_id, named or str(stage)))
    return inventory


def _global_environment(template: dict[str, Any]) -> dict[str, Any]:
    function_globals = (template.get("Globals") or {}).get("Function") or {}
    variables: dict[str, Any] = (function_globals.get("Environment") or {}).get("Variables") or {}
    return variables


def _function(logical_id: str, properties: dict[str, Any], service_default: str) -> Function:
    variables = (properties.get("Environment") or {}).get("Variables") or {}
    service = variables.get("POWERTOOLS_SERVICE_NAME", service_default)
    routes, consumes, on_failure_queues = [], [], []
    for event in (properties.get("Events") or {}).values():
        event_type = event.get("Type")
        event_properties = event.get("Properties") or {}
        if event_type == "Api":
            routes.append(
                ApiRoute(str(event_properties["Method"]).upper(), event_properties["Path"])
            )
        elif event_type in CONSUMER_EVENT_TYPES:
            consumes.append(event_type)
            queue = _on_failure_queue(event_properties)
            if queue:
                on_failure_queues.append(queue)
    return Function(
        logical_id, str(service), tuple(routes), tuple(consumes), tuple(on_failure_queues)
    )


def _on_failure_queue(event_properties: dict[str, Any]) -> str | None:
    """The logical id of the queue DestinationConfig.OnFailure names by `!GetAtt Queue.Arn`."""
    on_failure = (event_properties.get("DestinationConfig") or {}).get("OnFailure") or {}
    destination = on_failure.get("Destination")
    if isinstance(destination, dict) and "Fn::GetAtt" in destination:
        resource, attribute = destination["Fn::GetAtt"]
        return str(resource) if attribute == "Arn" else None
    return None
