"""AWS::Lambda::Function, LayerVersion and EventSourceMapping.

Functions are not created in the emulator (it cannot run them without Docker):
they become FunctionSpecs that the local runtime runs from their code folders.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from localcloud.cloudformation.intrinsics import ACCOUNT_ID, cfn_string
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)
from localcloud.event_sources.kafka.provisioning import (
    KAFKA_ONLY_PROPERTIES,
    add_kafka_mapping,
    is_kafka_event_source,
)
from localcloud.model import LOCAL_SQS_CONCURRENCY, FunctionSpec, SqsMapping, StreamMapping

DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128

_FUNCTION_ARN = re.compile(r"^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$")
_STREAM_ONLY = ("StartingPosition", "MaximumRetryAttempts", "BisectBatchOnFunctionError")
_STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST")
_TAGS = "tags have no local effect"


def _lambda_arn(context: ProvisionContext, resource_path: str) -> str:
    partition = context.resolver.pseudo["AWS::Partition"]
    return f"arn:{partition}:lambda:{context.stack.region}:{ACCOUNT_ID}:{resource_path}"


def function_arn(context: ProvisionContext, name_or_arn: str) -> str:
    """The unqualified ARN of a function given by name or by (possibly qualified) ARN."""
    match = _FUNCTION_ARN.match(name_or_arn)
    return _lambda_arn(context, f"function:{match.group(1) if match else name_or_arn}")


def create_function(resource: Resource, context: ProvisionContext) -> Provisioned:
    properties = resource.properties
    if properties.get("PackageType", "Zip") != "Zip":
        raise resource.error("property PackageType: only Zip functions run locally")
    code_dir = context.template.code_dir(properties.get("Code"))
    if code_dir is None:
        raise resource.error("property Code: only code in a local folder (CodeUri) runs locally")
    for required in ("Handler", "Runtime"):
        if not properties.get(required):
            raise resource.error(f"property {required} is required locally")
    name = resource.physical_name(context.stack.name, "FunctionName")
    arn = _lambda_arn(context, f"function:{name}")
    context.stack.functions[resource.logical_id] = FunctionSpec(
        logical_id=resource.logical_id,
        name=name,
        code_dir=code_dir,
        handler=cfn_string(properties["Handler"]),
        layer_dirs=_layer_dirs(resource, context),
        environment=_environment(resource),
        timeout_s=float(resource.integer("Timeout", DEFAULT_TIMEOUT_S) or DEFAULT_TIMEOUT_S),
        memory_mb=resource.integer("MemorySize", DEFAULT_MEMORY_MB) or DEFAULT_MEMORY_MB,
        runtime=cfn_string(properties["Runtime"]),
        arn=arn,
    )
    return Provisioned(ref=name, attributes={"Arn": arn})


def _environment(resource: Resource) -> dict[str, str]:
    variables = (resource.properties.get("Environment") or {}).get("Variables") or {}
    environment = {}
    for key, value in variables.items():
        try:
            environment[key] = cfn_string(value)
        except TypeError as error:
            raise resource.error(f"property Environment.Variables.{key}: {error}") from None
    return environment


def _layer_dirs(resource: Resource, context: ProvisionContext) -> tuple[Path, ...]:
    folders = []
    for layer_arn in resource.properties.get("Layers") or []:
        folder = context.layer_dirs.get(cfn_string(layer_arn))
        if folder is None:
            context.ignore(
                f"{resource.label}: property Layers: {layer_arn}",
                "a layer from outside the template must already be installed locally",
            )
        else:
            folders.append(folder)
    return tuple(folders)


def create_layer_version(resource: Resource, context: ProvisionContext) -> Provisioned:
    content_dir = context.template.code_dir(resource.properties.get("Content"))
    if content_dir is None:
        raise resource.error("property Content: only a local folder (ContentUri) works locally")
    name = resource.physical_name(context.stack.name, "LayerName")
    arn = _lambda_arn(context, f"layer:{name}:1")
    context.layer_dirs[arn] = content_dir
    return Provisioned(ref=arn, attributes={"LayerVersionArn": arn})


def create_event_source_mapping(resource: Resource, context: ProvisionContext) -> Provisioned:
    function = _function_logical_id(resource, context)
    source = cfn_string(resource.properties.get("EventSourceArn", ""))
    service = source.split(":")[2] if source.count(":") >= 5 else ""
    mapping_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{context.stack.name}/{resource.logical_id}"))
    if is_kafka_event_source(resource.properties):
        add_kafka_mapping(resource, context, function, mapping_id)
    elif service == "sqs":
        context.stack.sqs_mappings.append(_sqs_mapping(resource, context, function, source))
    elif service == "dynamodb" and "/stream/" in source:
        context.stack.stream_mappings.append(_stream_mapping(resource, context, function, source))
    else:
        raise resource.error(
            f"property EventSourceArn: {source!r}: only SQS queues, DynamoDB streams and Kafka "
            "topics are polled locally"
        )
    return Provisioned(
        ref=mapping_id,
        attributes={
            "Id": mapping_id,
            "EventSourceMappingArn": _lambda_arn(context, f"event-source-mapping:{mapping_id}"),
        },
    )


def _function_logical_id(resource: Resource, context: ProvisionContext) -> str:
    given = cfn_string(resource.properties.get("FunctionName", ""))
    match = _FUNCTION_ARN.match(given)
    name = match.group(1) if match else given.split(":")[0]
    for logical_id, spec in context.stack.functions.items():
        if spec.name == name:
            return logical_id
    raise resource.error(f"property FunctionName: {given!r} is not a function of this template")


def _sqs_mapping(
    resource: Resource, context: ProvisionContext, function: str, queue_arn: str
) -> SqsMapping:
    for name in _STREAM_ONLY:
        if name in resource.properties:
            raise resource.error(f"property {name} applies to stream sources only")
    _refuse_kafka_only(resource)
    _ignore_destination(resource, context)
    return SqsMapping(
        function=function,
        queue_url=context.queue_urls.get(queue_arn) or _queue_url(context, queue_arn),
        queue_arn=queue_arn,
        batch_size=resource.integer("BatchSize", 10) or 10,
        batching_window_s=float(resource.integer("MaximumBatchingWindowInSeconds", 0) or 0),
        report_batch_item_failures=_reports_item_failures(resource),
        enabled=resource.flag("Enabled", True),
        maximum_concurrency=_maximum_concurrency(resource),
    )


def _maximum_concurrency(resource: Resource) -> int:
    scaling = resource.properties.get("ScalingConfig") or {}
    if not isinstance(scaling, dict) or "MaximumConcurrency" not in scaling:
        return LOCAL_SQS_CONCURRENCY
    value = scaling["MaximumConcurrency"]
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise resource.error(
            f"property ScalingConfig.MaximumConcurrency: {value!r} is not a number"
        )
    if not 2 <= int(value) <= 1000:
        raise resource.error(
            f"property ScalingConfig.MaximumConcurrency: {value} is outside 2..1000"
        )
    return int(value)


def _queue_url(context: ProvisionContext, queue_arn: str) -> str:
    """A queue outside the template: its URL as the emulator forms it from account and name."""
    _, _, _, _, account, name = queue_arn.split(":", 5)
    return f"{context.clients.endpoint_url}/{account}/{name}"


def _stream_mapping(
    resource: Resource, context: ProvisionContext, function: str, stream_arn: str
) -> StreamMapping:
    _refuse_kafka_only(resource)
    _ignore_destination(resource, context)
    position = resource.properties.get("StartingPosition", "LATEST")
    if position not in _STARTING_POSITIONS:
        raise resource.error(
            f"property StartingPosition: {position!r} is not supported locally "
            f"(use {' or '.join(_STARTING_POSITIONS)})"
        )
    return StreamMapping(
        function=function,
        stream_arn=stream_arn,
        table_name=stream_arn.split(":", 5)[5].split("/")[1],
        batch_size=resource.integer("BatchSize", 100) or 100,
        batching_window_s=float(resource.integer("MaximumBatchingWindowInSeconds", 0) or 0),
        starting_position=position,
        maximum_retry_attempts=_integer_or(resource, "MaximumRetryAttempts", -1),
        bisect_batch_on_error=resource.flag("BisectBatchOnFunctionError"),
        report_batch_item_failures=_reports_item_failures(resource),
        enabled=resource.flag("Enabled", True),
    )


def _refuse_kafka_only(resource: Resource) -> None:
    for name in KAFKA_ONLY_PROPERTIES:
        if name in resource.properties:
            raise resource.error(f"property {name} is supported locally for Kafka sources only")


def _ignore_destination(resource: Resource, context: ProvisionContext) -> None:
    if "DestinationConfig" in resource.properties:
        context.ignore(
            f"{resource.label}: property DestinationConfig",
            "on-failure destinations are not delivered locally",
        )


def _integer_or(resource: Resource, name: str, default: int) -> int:
    value = resource.integer(name, default)
    return default if value is None else value


def _reports_item_failures(resource: Resource) -> bool:
    types: Any = resource.properties.get("FunctionResponseTypes") or []
    unknown = [kind for kind in types if kind != "ReportBatchItemFailures"]
    if unknown:
        raise resource.error(f"property FunctionResponseTypes: {unknown} not supported locally")
    return bool(types)


KINDS = {
    "AWS::Lambda::Function": ResourceKind(
        create=create_function,
        properties=frozenset(
            {
                "FunctionName",
                "Code",
                "Handler",
                "Runtime",
                "Layers",
                "Environment",
                "Timeout",
                "MemorySize",
                "PackageType",
            }
        ),
        ignored_properties={
            "Role": "IAM is not enforced locally",
            "Tags": _TAGS,
            "Description": "descriptions have no local effect",
            "Architectures": "requirements are built for it; handlers run on this machine's CPU",
            "TracingConfig": "no X-Ray locally",
            "KmsKeyArn": "environment variables are not encrypted locally",
            "ReservedConcurrentExecutions": "no concurrency limits locally",
            "LoggingConfig": "handler logs go to the local cloud's output",
            "EphemeralStorage": "handlers use the local disk",
            "VpcConfig": "no VPCs locally",
            "DeadLetterConfig": "asynchronous invocations are not emulated",
            "SnapStart": "cold starts are not snapshotted locally",
            "RuntimeManagementConfig": "handlers run on the runtime's Python found on this machine",
            "CodeSigningConfigArn": "local code is not signed",
            "RecursiveLoop": "no recursion detection locally",
        },
    ),
    "AWS::Lambda::LayerVersion": ResourceKind(
        create=create_layer_version,
        properties=frozenset({"Content", "LayerName"}),
        ignored_properties={
            "CompatibleRuntimes": "layers are put on the path of every function that lists them",
            "CompatibleArchitectures": "handlers run on the local machine's architecture",
            "Description": "descriptions have no local effect",
            "LicenseInfo": "licence notes have no local effect",
        },
    ),
    "AWS::Lambda::EventSourceMapping": ResourceKind(
        create=create_event_source_mapping,
        properties=frozenset(
            {
                "FunctionName",
                "EventSourceArn",
                "BatchSize",
                "MaximumBatchingWindowInSeconds",
                "FunctionResponseTypes",
                "Enabled",
                "ScalingConfig",
                "DestinationConfig",
                *_STREAM_ONLY,
                *KAFKA_ONLY_PROPERTIES,
            }
        ),
        ignored_properties={
            "ParallelizationFactor": "one poller per stream locally",
            "ProvisionedPollerConfig": "Kafka pollers are not scaled locally",
            "MaximumRecordAgeInSeconds": "records are not aged out locally",
            "Tags": _TAGS,
            "KmsKeyArn": "filter criteria are not encrypted locally",
            "MetricsConfig": "no event source mapping metrics locally",
        },
    ),
}
