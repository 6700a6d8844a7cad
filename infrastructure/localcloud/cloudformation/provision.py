"""Provision a SAM template's resources into the AWS emulator and describe the stack.

Resources are created in waves, each after the resources it refers to (Ref, GetAtt,
Sub, DependsOn); the emulator calls of one wave run concurrently. Each type is made
by the module of its service under `localcloud.cloudformation.provisioning`. Every resource type
and property is either provisioned, or listed in `Stack.ignored` with the reason,
or refused with a TemplateError: nothing is skipped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from localcloud.cloudformation.intrinsics import (
    ACCOUNT_ID,
    IntrinsicResolver,
    cfn_string,
    referenced_names,
    resolve_parameters,
)
from localcloud.cloudformation.provisioning import (
    api,
    cognito,
    custom_resources,
    dynamodb,
    email,
    functions,
    http_api,
    messaging,
    monitoring,
    secrets,
)
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
    RunFunction,
)
from localcloud.cloudformation.provisioning.ignored import IGNORED_KINDS
from localcloud.cloudformation.template import LoadedTemplate, parse_template, transform_template
from localcloud.emulator.clients import EmulatorClients
from localcloud.event_sources.registry import EVENT_SOURCES
from localcloud.lambda_.build.builder import LambdaBuilder, default_build_dir
from localcloud.lambda_.build.plan import artifact_specs
from localcloud.model import Stack, StackDescription, TemplateError, UserPool

# Calls to the emulator mostly wait on it; a few in flight at once roughly halve the wall time.
_CONCURRENT_CALLS = 8

RESOURCE_KINDS: Mapping[str, ResourceKind] = {
    **dynamodb.KINDS,
    **messaging.KINDS,
    **cognito.KINDS,
    **functions.KINDS,
    **api.KINDS,
    **http_api.KINDS,
    **monitoring.KINDS,
    **email.KINDS,
    **secrets.KINDS,
    **{name: kind for source in EVENT_SOURCES for name, kind in source.resource_kinds.items()},
}


SERVICES_BY_TYPE_PREFIX = {
    "AWS::DynamoDB::": ("dynamodb",),
    "AWS::SQS::": ("sqs",),
    "AWS::SNS::": ("sns",),
    "AWS::Logs::": ("logs",),
    "AWS::CloudWatch::": ("cloudwatch",),
    "AWS::Cognito::": ("cognito-idp",),
    "AWS::SES::": ("ses", "sesv2"),
    "AWS::SecretsManager::": ("secretsmanager",),
    "AWS::S3::": ("s3",),
}
"""The emulator's clients provisioning makes, by the resource types that need them."""


@dataclass(frozen=True)
class PreparedTemplate:
    """A template read, transformed and its functions built: all of provisioning that
    needs no emulator (the local cloud does it while the emulator boots)."""

    path: Path
    source: dict[str, Any]
    parameters: dict[str, str]
    loaded: LoadedTemplate

    def runtimes_and_layers(self) -> dict[tuple[str, tuple[Path, ...]], frozenset[str] | None]:
        """Each runtime the functions run on, with the built folders of their layers in
        order, for the functions whose layers are all the template's own (known before
        any resource is made); with the names of the environment variables those functions
        declare, or None where one declares them through an intrinsic function."""
        resources = self.loaded.template.get("Resources") or {}
        found: dict[tuple[str, tuple[Path, ...]], frozenset[str] | None] = {}
        for resource in resources.values():
            properties = resource.get("Properties") or {}
            if resource.get("Type") != "AWS::Lambda::Function":
                continue
            runtime = properties.get("Runtime")
            layers = [self._layer_dir(layer, resources) for layer in properties.get("Layers") or []]
            if isinstance(runtime, str) and None not in layers:
                key = (runtime, tuple(layer for layer in layers if layer is not None))
                names = _declared_variables(properties)
                known = found.get(key, frozenset())
                found[key] = None if names is None or known is None else known | names
        return found

    def emulator_services(self) -> set[str]:
        """The emulator's services (boto3's names) that provisioning the resources calls."""
        resources = self.loaded.template.get("Resources") or {}
        types = {str(resource.get("Type", "")) for resource in resources.values()}
        return {
            service
            for prefix, services in SERVICES_BY_TYPE_PREFIX.items()
            if any(kind.startswith(prefix) for kind in types)
            for service in services
        }

    def _layer_dir(self, layer: Any, resources: Mapping[str, Any]) -> Path | None:
        reference = layer.get("Ref") if isinstance(layer, dict) else None
        resource = resources.get(reference) if isinstance(reference, str) else None
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Lambda::LayerVersion":
            return None
        return self.loaded.code_dir((resource.get("Properties") or {}).get("Content"))


def _declared_variables(properties: Mapping[str, Any]) -> frozenset[str] | None:
    """The names in a function's Environment.Variables; None if either is an intrinsic
    function (`{"Fn::If": ...}`), whose names only provisioning knows."""
    environment = properties.get("Environment") or {}
    if not isinstance(environment, dict) or _intrinsic(environment):
        return None
    variables = environment.get("Variables") or {}
    if not isinstance(variables, dict) or _intrinsic(variables):
        return None
    return frozenset(variables)


def _intrinsic(value: dict[str, Any]) -> bool:
    return len(value) == 1 and any(key == "Ref" or key.startswith("Fn::") for key in value)


def prepare_template(
    template_path: Path,
    *,
    region: str = "us-east-1",
    parameter_overrides: dict[str, str] | None = None,
    builder: LambdaBuilder | None = None,
) -> PreparedTemplate:
    source = parse_template(template_path.read_text())
    parameters = resolve_parameters(source.get("Parameters") or {}, parameter_overrides)
    loaded = transform_template(
        source, template_path.parent, region=region, parameter_values=parameters
    )
    builder = builder or LambdaBuilder(default_build_dir(template_path))
    loaded = loaded.with_artifacts(builder.build(artifact_specs(source, template_path.parent)))
    return PreparedTemplate(template_path, source, parameters, loaded)


def provision(
    template_path: Path,
    endpoint_url: str,
    *,
    stack_name: str = "petstore",
    region: str = "us-east-1",
    parameter_overrides: dict[str, str] | None = None,
    builder: LambdaBuilder | None = None,
    run_function: RunFunction | None = None,
    imports: Mapping[str, str] | None = None,
    prepared: PreparedTemplate | None = None,
) -> Stack:
    """Create the template's resources in the emulator at `endpoint_url` (again, if they
    exist already) and return what the local runtime needs to run the stack: its
    functions run from what `builder` builds, as they would from `sam build`'s output.
    `run_function` runs the functions of Lambda-backed custom resources; `imports` are the
    exports of the stacks started before this one, for `Fn::ImportValue`. `prepared` is
    the template already prepared with the same region, overrides and builder."""
    if prepared is None or prepared.path != template_path:
        prepared = prepare_template(
            template_path, region=region, parameter_overrides=parameter_overrides, builder=builder
        )
    source, parameters, loaded = prepared.source, prepared.parameters, prepared.loaded
    template = loaded.template
    resolver = IntrinsicResolver(
        template,
        stack_name=stack_name,
        region=region,
        parameter_overrides=parameter_overrides,
        imports=imports,
    )
    stack = Stack(name=stack_name, region=region, account_id=ACCOUNT_ID, api_stage="")
    context = ProvisionContext(
        stack,
        resolver,
        EmulatorClients.for_emulator(endpoint_url, region),
        loaded,
        run_function=run_function,
    )
    resources = template["Resources"]
    with ThreadPoolExecutor(max_workers=_CONCURRENT_CALLS) as calls:
        for wave in creation_waves(resources, resolver):
            _provision_wave(wave, resources, context, calls)
    _sort_for_stable_output(stack)
    stack.api_stage = api.api_stage_of(context)
    stack.user_pools = _user_pools(context)
    stack.outputs = _outputs(template.get("Outputs") or {}, resolver)
    stack.described = _described(source, template, parameters, stack, resolver)
    return stack


def creation_waves(resources: Mapping[str, Any], resolver: IntrinsicResolver) -> list[list[str]]:
    """The logical ids of the resources whose Condition holds, in waves: each resource comes
    in a later wave than every resource it refers to or depends on."""
    active = {
        logical_id
        for logical_id, resource in resources.items()
        if _is_active(logical_id, resource, resolver)
    }
    waiting = {
        logical_id: _dependencies(resources[logical_id], active - {logical_id})
        for logical_id in resources
        if logical_id in active
    }
    waves: list[list[str]] = []
    done: set[str] = set()
    while waiting:
        wave = [logical_id for logical_id, needs in waiting.items() if needs <= done]
        if not wave:
            cycle = ", ".join(sorted(waiting))
            raise TemplateError(f"Resources {cycle} depend on each other in a cycle")
        waves.append(wave)
        done.update(wave)
        for logical_id in wave:
            del waiting[logical_id]
    return waves


def _is_active(logical_id: str, resource: Any, resolver: IntrinsicResolver) -> bool:
    if not isinstance(resource, dict) or "Type" not in resource:
        raise TemplateError(f"{logical_id}: a resource needs a Type")
    condition = resource.get("Condition")
    if condition is None:
        return True
    try:
        return resolver.condition(str(condition))
    except TemplateError as error:
        raise TemplateError(f"{logical_id} ({resource['Type']}): {error}") from None


def _dependencies(resource: Mapping[str, Any], candidates: set[str]) -> set[str]:
    depends_on = resource.get("DependsOn") or []
    named = {depends_on} if isinstance(depends_on, str) else set(depends_on)
    return (named | referenced_names(resource.get("Properties") or {})) & candidates


def _provision_wave(
    wave: list[str],
    resources: Mapping[str, Any],
    context: ProvisionContext,
    calls: ThreadPoolExecutor,
) -> None:
    """Resolve the wave's properties here, call the emulator for its resources concurrently
    (they do not refer to each other), then register what each gives to `!Ref`/`!GetAtt`."""
    prepared = [
        (logical_id, _prepare(logical_id, resources[logical_id], context)) for logical_id in wave
    ]
    pending = [(logical_id, calls.submit(create)) for logical_id, create in prepared]
    for logical_id, future in pending:
        _register(logical_id, future.result(), context)


def _prepare(
    logical_id: str, definition: Mapping[str, Any], context: ProvisionContext
) -> Callable[[], Provisioned]:
    kind_name = str(definition["Type"])
    properties = definition.get("Properties") or {}
    label = f"{logical_id} ({kind_name})"
    if kind_name in IGNORED_KINDS:
        ignored = IGNORED_KINDS[kind_name]
        context.ignore(label, ignored.reason)
        return partial(
            ignored.reference, Resource(logical_id, kind_name, dict(properties)), context
        )
    kind = RESOURCE_KINDS.get(kind_name)
    if kind is None and custom_resources.is_custom_resource(kind_name):
        kind = custom_resources.KIND
    if kind is None:
        raise TemplateError(f"{label}: resource type is not supported locally")
    kept = _supported_properties(label, properties, kind, context)
    resolved = context.resolver.resolve(kept, label)
    return partial(kind.create, Resource(logical_id, kind_name, resolved), context)


def _supported_properties(
    label: str, properties: Mapping[str, Any], kind: ResourceKind, context: ProvisionContext
) -> dict[str, Any]:
    if kind.accepts_any_property:
        return dict(properties)
    kept = {}
    for name, value in properties.items():
        if name in kind.ignored_properties:
            context.ignore(f"{label}: property {name}", kind.ignored_properties[name])
        elif name in kind.properties:
            kept[name] = value
        else:
            raise TemplateError(f"{label}: property {name} is not supported locally")
    return kept


def _described(
    source: Mapping[str, Any],
    template: Mapping[str, Any],
    parameters: Mapping[str, Any],
    stack: Stack,
    resolver: IntrinsicResolver,
) -> StackDescription:
    """What DescribeStacks and ListStackResources tell beyond the running resources."""
    outputs = stack.outputs
    definitions = source.get("Parameters") or {}
    shown = {
        name: "****"
        if str((definitions.get(name) or {}).get("NoEcho", "")).lower() == "true"
        else (",".join(value) if isinstance(value, list) else str(value))
        for name, value in parameters.items()
    }
    declared = template.get("Outputs") or {}
    return StackDescription(
        description=cfn_string(source.get("Description", "")),
        parameters=shown,
        resource_types={
            logical_id: str(template["Resources"][logical_id]["Type"])
            for logical_id in sorted(stack.physical_ids)
        },
        output_descriptions={
            name: cfn_string(declared[name]["Description"])
            for name in outputs
            if "Description" in declared[name]
        },
        export_names={
            name: cfn_string(
                resolver.resolve(declared[name]["Export"].get("Name"), f"Output {name}", "Export")
            )
            for name in outputs
            if isinstance(declared[name].get("Export"), dict)
        },
    )


def _register(logical_id: str, provisioned: Provisioned, context: ProvisionContext) -> None:
    context.resolver.register(logical_id, provisioned.ref, provisioned.attributes)
    context.stack.physical_ids[logical_id] = provisioned.ref


def _sort_for_stable_output(stack: Stack) -> None:
    """Resources of one wave finish in any order; the stack should not depend on it."""
    stack.ignored.sort()
    for part in stack.event_sources.values():
        if isinstance(part, list):
            part.sort(key=lambda mapping: (mapping.function, repr(mapping)))
    stack.functions = dict(sorted(stack.functions.items()))


def _user_pools(context: ProvisionContext) -> dict[str, UserPool]:
    return {
        logical_id: UserPool(
            logical_id=logical_id,
            pool_id=pool_id,
            arn=context.pool_arns[pool_id],
            client_ids=tuple(sorted(context.pool_clients.get(pool_id, []))),
            groups=tuple(sorted(context.pool_groups.get(pool_id, []))),
        )
        for pool_id, logical_id in context.pool_logical_ids.items()
    }


def _outputs(outputs: Mapping[str, Any], resolver: IntrinsicResolver) -> dict[str, str]:
    resolved = {}
    for name, output in outputs.items():
        condition = output.get("Condition")
        if condition is not None and not resolver.condition(str(condition)):
            continue
        value = resolver.resolve(output.get("Value"), f"Output {name}", "Value")
        resolved[name] = (
            ",".join(map(cfn_string, value)) if isinstance(value, list) else cfn_string(value)
        )
    return resolved
