"""AWS::Lambda::Function, LayerVersion and EventSourceMapping.

Functions are not created in the emulator (it cannot run them without Docker):
they become FunctionSpecs that the local runtime runs from their code folders.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from localcloud.cloudformation.intrinsics import ACCOUNT_ID, cfn_string
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)
from localcloud.event_sources.base import NewMapping
from localcloud.event_sources.registry import EVENT_SOURCES
from localcloud.model import FunctionSpec

DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128
ASYNC_INVOCATIONS = "an asynchronous invocation (InvocationType Event) runs once locally"

_FUNCTION_ARN = re.compile(r"^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$")
_TAGS = "tags have no local effect"
_LOGGING_IGNORED = {
    "LogFormat": "lines are shipped as the handler writes them",
    "ApplicationLogLevel": "every line the handler writes is shipped",
    "SystemLogLevel": "the local runtime writes no platform log lines",
}


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
        log_group=_log_group(resource, context),
    )
    return Provisioned(ref=name, attributes={"Arn": arn})


def _log_group(resource: Resource, context: ProvisionContext) -> str:
    """The group LoggingConfig names, which the local cloud ships the function's lines to."""
    logging_config = resource.properties.get("LoggingConfig") or {}
    for name in logging_config:
        if name in _LOGGING_IGNORED:
            context.ignore(
                f"{resource.label}: property LoggingConfig.{name}", _LOGGING_IGNORED[name]
            )
        elif name != "LogGroup":
            raise resource.error(f"property LoggingConfig.{name} is not supported locally")
    return cfn_string(logging_config.get("LogGroup", ""))


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
    """The mapping, described in the stack by the kind of event source it reads."""
    function = _function_logical_id(resource, context)
    source = cfn_string(resource.properties.get("EventSourceArn", ""))
    kind = next((k for k in EVENT_SOURCES if k.claims(source, resource.properties)), None)
    if kind is None:
        kinds = ", ".join(k.name for k in EVENT_SOURCES)
        raise resource.error(
            f"property EventSourceArn: {source!r}: the local cloud polls these sources: {kinds}"
        )
    for name in resource.properties:
        if name not in _MAPPING_PROPERTIES and name not in kind.mapping_properties:
            raise resource.error(f"property {name} does not apply to {kind.name} sources")
    mapping_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{context.stack.name}/{resource.logical_id}"))
    kind.add_mapping(resource, context, NewMapping(function, source, mapping_id))
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


_MAPPING_PROPERTIES = frozenset({"FunctionName", "EventSourceArn"})
"""What every event source mapping reads; each kind reads its own besides."""
_MAPPING_IGNORED = {
    "ParallelizationFactor": "one poller per stream locally",
    "ProvisionedPollerConfig": "Kafka pollers are not scaled locally",
    "Tags": _TAGS,
    "KmsKeyArn": "filter criteria are not encrypted locally",
    "MetricsConfig": "no event source mapping metrics locally",
}


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
                "LoggingConfig",
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
            "EphemeralStorage": "handlers use the local disk",
            "VpcConfig": "no VPCs locally",
            "DeadLetterConfig": ASYNC_INVOCATIONS + " (no dead-letter queue)",
            "SnapStart": "every function's workers are restored from a snapshot locally",
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
        properties=_MAPPING_PROPERTIES.union(*(k.mapping_properties for k in EVENT_SOURCES)),
        ignored_properties=_MAPPING_IGNORED,
    ),
}
