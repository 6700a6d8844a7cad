"""Reading an AWS::Lambda::EventSourceMapping's properties the same way for every kind of
source: Lambda's defaults for what the template leaves out, and a TemplateError naming the
property for what the local cloud cannot honour."""

from __future__ import annotations

from typing import Any, Literal

from localcloud.cloudformation.intrinsics import cfn_string
from localcloud.cloudformation.provisioning.context import ProvisionContext, Resource
from localcloud.event_sources.destinations import destination_service
from localcloud.event_sources.filtering import FilterPatternError, parse_patterns

StartingPosition = Literal["TRIM_HORIZON", "LATEST"]
STARTING_POSITIONS: tuple[StartingPosition, ...] = ("TRIM_HORIZON", "LATEST")


def integer_or(resource: Resource, name: str, default: int) -> int:
    value = resource.integer(name, default)
    return default if value is None else value


def batching_window_s(resource: Resource, default: float = 0.0) -> float:
    if "MaximumBatchingWindowInSeconds" not in resource.properties:
        return default
    return float(integer_or(resource, "MaximumBatchingWindowInSeconds", 0))


def starting_position(resource: Resource) -> StartingPosition:
    position = resource.properties.get("StartingPosition", "LATEST")
    for known in STARTING_POSITIONS:
        if position == known:
            return known
    raise resource.error(
        f"property StartingPosition: {position!r} is not supported locally "
        f"(use {' or '.join(STARTING_POSITIONS)})"
    )


def reports_item_failures(resource: Resource) -> bool:
    types: Any = resource.properties.get("FunctionResponseTypes") or []
    unknown = [kind for kind in types if kind != "ReportBatchItemFailures"]
    if unknown:
        raise resource.error(f"property FunctionResponseTypes: {unknown} not supported locally")
    return bool(types)


def filters(resource: Resource, function: str) -> tuple[dict[str, Any], ...]:
    """The FilterCriteria patterns of a mapping feeding `function` (a logical id)."""
    try:
        return parse_patterns(resource.properties.get("FilterCriteria"))
    except FilterPatternError as error:
        raise resource.error(
            f"property FilterCriteria of function {function}: {error} (Lambda refuses it)"
        ) from None


def ignore_destination(resource: Resource, context: ProvisionContext) -> None:
    if "DestinationConfig" in resource.properties:
        context.ignore(
            f"{resource.label}: property DestinationConfig",
            "on-failure destinations are not delivered locally",
        )


def on_failure_destination(resource: Resource) -> str | None:
    """The ARN of DestinationConfig.OnFailure, an SQS queue or SNS topic; None if not set."""
    config = resource.properties.get("DestinationConfig") or {}
    destination = (config.get("OnFailure") or {}).get("Destination")
    if not destination:
        return None
    arn = cfn_string(destination)
    if destination_service(arn) is None:
        raise resource.error(
            f"property DestinationConfig: {arn!r}: the local cloud delivers to an SQS queue "
            "or SNS topic"
        )
    return arn


def function_named(resource: Resource, context: ProvisionContext, given: str, path: str) -> str:
    """The logical id of the template's function that `given` (a function ARN, maybe
    qualified, or a name) names, at property `path` of `resource`."""
    parts = given.split(":")
    name = parts[6] if len(parts) >= 7 and parts[5] == "function" else given
    for logical_id, spec in context.stack.functions.items():
        if spec.name == name:
            return logical_id
    raise resource.error(f"property {path}: {given!r} is not a function of this template")
