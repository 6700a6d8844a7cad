"""AWS::Events::Rule and AWS::Scheduler::Schedule, invoking the template's functions.

A rule with a ScheduleExpression (SAM's `Schedule` events) and a Scheduler schedule
(SAM's `ScheduleV2`) are scheduled invocations, fired by the runner on the schedule clock.
A rule with an EventPattern (SAM's `EventBridgeRule` events) is made in the emulator's
EventBridge, which matches the events put on its bus and delivers them to a delivery queue
per function target; the function is invoked from there asynchronously
(`localcloud.event_sources.delivery_queue`). An expression or input AWS would refuse
stops the start, naming it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from localcloud.cloudformation.intrinsics import cfn_string
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)
from localcloud.event_sources import properties
from localcloud.event_sources.delivery_queue import create_delivery_queue
from localcloud.event_sources.eventbridge.expressions import (
    ScheduleExpressionError,
    parse_schedule,
)
from localcloud.model import Stack

SOURCE = "eventbridge"
PATTERN_RULES = f"{SOURCE}:patterns"
_NO_RETRIES = "an invocation that fails is logged, not dead-lettered or retried beyond Lambda's"


@dataclass(frozen=True)
class ScheduledInvocation:
    """One function a schedule invokes."""

    function: str
    """Logical id of the function."""
    expression: str
    schedule_arn: str
    event_source: str
    """"aws.events" (a rule) or "aws.scheduler" (EventBridge Scheduler)."""
    input: str | None = None
    """The target's constant Input (JSON); None: the scheduled event."""
    timezone: str = "UTC"
    start: datetime | None = None
    end: datetime | None = None
    enabled: bool = True

    @property
    def zone(self) -> tzinfo:
        return UTC if self.timezone == "UTC" else ZoneInfo(self.timezone)


@dataclass(frozen=True)
class RoutedTarget:
    """A function a pattern rule invokes with the events it matches."""

    function: str
    rule_arn: str
    queue_url: str
    """The delivery queue the emulator's rule sends matched events to."""
    input: str | None = None
    """The target's constant Input (JSON); None: the matched event."""
    enabled: bool = True


def scheduled_invocations(stack: Stack) -> list[ScheduledInvocation]:
    return stack.part_of(SOURCE, list[ScheduledInvocation])


def routed_targets(stack: Stack) -> list[RoutedTarget]:
    return stack.part_of(PATTERN_RULES, list[RoutedTarget])


def create_rule(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = resource.physical_name(context.stack.name, "Name")
    arn = _arn(context, "events", f"rule/{name}")
    expression = resource.properties.get("ScheduleExpression")
    enabled = cfn_string(resource.properties.get("State", "ENABLED")) != "DISABLED"
    if expression is None:
        _route_by_pattern(resource, context, name, enabled)
        return Provisioned(ref=name, attributes={"Arn": arn})
    _check_expression(resource, "ScheduleExpression", cfn_string(expression))
    for index, target in enumerate(resource.properties.get("Targets") or []):
        path = f"Targets[{index}]"
        _refuse_input_shaping(resource, target, path)
        _ignore_retries(resource, context, target, path)
        scheduled_invocations(context.stack).append(
            ScheduledInvocation(
                function=_target_function(resource, context, target, path),
                expression=cfn_string(expression),
                schedule_arn=arn,
                event_source="aws.events",
                input=_input(resource, target, path),
                enabled=enabled,
            )
        )
    return Provisioned(ref=name, attributes={"Arn": arn})


def _route_by_pattern(
    resource: Resource, context: ProvisionContext, name: str, enabled: bool
) -> None:
    pattern = resource.properties.get("EventPattern")
    if pattern is None:
        raise resource.error("a rule needs a ScheduleExpression or an EventPattern")
    bus = cfn_string(resource.properties.get("EventBusName", "default"))
    events = context.clients.client("events")
    with context.calling_emulator(resource):
        rule_arn = events.put_rule(
            Name=name,
            EventPattern=pattern if isinstance(pattern, str) else json.dumps(pattern),
            EventBusName=bus,
            State="ENABLED" if enabled else "DISABLED",
        )["RuleArn"]
        for index, target in enumerate(resource.properties.get("Targets") or []):
            path = f"Targets[{index}]"
            _refuse_input_shaping(resource, target, path)
            _ignore_retries(resource, context, target, path)
            function = _target_function(resource, context, target, path)
            queue_url, queue_arn = create_delivery_queue(
                context, f"{context.stack.name}-{resource.logical_id}-{index}-delivery", function
            )
            events.put_targets(
                Rule=name,
                EventBusName=bus,
                Targets=[{"Id": cfn_string(target.get("Id", str(index))), "Arn": queue_arn}],
            )
            routed_targets(context.stack).append(
                RoutedTarget(function, rule_arn, queue_url, _input(resource, target, path), enabled)
            )


def create_schedule(resource: Resource, context: ProvisionContext) -> Provisioned:
    props = resource.properties
    name = resource.physical_name(context.stack.name, "Name")
    group = cfn_string(props.get("GroupName", "default"))
    arn = _arn(context, "scheduler", f"schedule/{group}/{name}")
    timezone = cfn_string(props.get("ScheduleExpressionTimezone", "UTC"))
    _check_timezone(resource, timezone)
    expression = cfn_string(props.get("ScheduleExpression", ""))
    _check_expression(resource, "ScheduleExpression", expression, timezone)
    if (props.get("FlexibleTimeWindow") or {}).get("Mode", "OFF") != "OFF":
        context.ignore(
            f"{resource.label}: property FlexibleTimeWindow", "it fires at its times locally"
        )
    target = props.get("Target") or {}
    _ignore_retries(resource, context, target, "Target")
    scheduled_invocations(context.stack).append(
        ScheduledInvocation(
            function=_target_function(resource, context, target, "Target"),
            expression=expression,
            schedule_arn=arn,
            event_source="aws.scheduler",
            input=_input(resource, target, "Target"),
            timezone=timezone,
            start=_date(resource, "StartDate"),
            end=_date(resource, "EndDate"),
            enabled=cfn_string(props.get("State", "ENABLED")) != "DISABLED",
        )
    )
    return Provisioned(ref=name, attributes={"Arn": arn})


def create_schedule_group(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = resource.physical_name(context.stack.name, "Name")
    return Provisioned(
        ref=name, attributes={"Arn": _arn(context, "scheduler", f"schedule-group/{name}")}
    )


def _arn(context: ProvisionContext, service: str, resource_path: str) -> str:
    stack = context.stack
    return f"arn:aws:{service}:{stack.region}:{stack.account_id}:{resource_path}"


def _check_expression(
    resource: Resource, path: str, expression: str, timezone: str = "UTC"
) -> None:
    zone = UTC if timezone == "UTC" else ZoneInfo(timezone)
    try:
        parse_schedule(expression, start=datetime.now(UTC), zone=zone)
    except ScheduleExpressionError as error:
        raise resource.error(
            f"property {path}: {expression!r}: {error} (EventBridge refuses it)"
        ) from None
    if expression.startswith("at(") and resource.type == "AWS::Events::Rule":
        raise resource.error(f"property {path}: {expression!r}: a rule takes rate or cron")


def _check_timezone(resource: Resource, timezone: str) -> None:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise resource.error(
            f"property ScheduleExpressionTimezone: {timezone!r} is not a time zone"
        ) from None


def _target_function(resource: Resource, context: ProvisionContext, target: Any, path: str) -> str:
    arn = cfn_string(target.get("Arn", "")) if isinstance(target, dict) else ""
    if arn.split(":")[2:3] != ["lambda"]:
        raise resource.error(
            f"property {path}.Arn: {arn!r}: only Lambda function targets are invoked locally"
        )
    return properties.function_named(resource, context, arn, f"{path}.Arn")


def _input(resource: Resource, target: dict[str, Any], path: str) -> str | None:
    if "Input" not in target:
        return None
    text = cfn_string(target["Input"])
    try:
        json.loads(text)
    except ValueError:
        raise resource.error(f"property {path}.Input: {text!r} is not JSON") from None
    return text


def _refuse_input_shaping(resource: Resource, target: dict[str, Any], path: str) -> None:
    for name in ("InputPath", "InputTransformer"):
        if name in target:
            raise resource.error(
                f"property {path}.{name}: not applied locally (use Input, or none for the "
                "scheduled event)"
            )


def _ignore_retries(
    resource: Resource, context: ProvisionContext, target: dict[str, Any], path: str
) -> None:
    for name in ("RetryPolicy", "DeadLetterConfig"):
        if name in target:
            context.ignore(f"{resource.label}: property {path}.{name}", _NO_RETRIES)


def _date(resource: Resource, name: str) -> datetime | None:
    value = resource.properties.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(cfn_string(value).replace("Z", "+00:00"))
    except ValueError:
        raise resource.error(f"property {name}: {value!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


RESOURCE_KINDS = {
    "AWS::Events::Rule": ResourceKind(
        create=create_rule,
        properties=frozenset(
            {
                "Name",
                "Description",
                "ScheduleExpression",
                "EventPattern",
                "EventBusName",
                "State",
                "Targets",
            }
        ),
        ignored_properties={"RoleArn": "IAM is not enforced locally"},
    ),
    "AWS::Scheduler::Schedule": ResourceKind(
        create=create_schedule,
        properties=frozenset(
            {
                "Name",
                "Description",
                "GroupName",
                "ScheduleExpression",
                "ScheduleExpressionTimezone",
                "StartDate",
                "EndDate",
                "FlexibleTimeWindow",
                "State",
                "Target",
            }
        ),
        ignored_properties={
            "KmsKeyArn": "the emulator does not encrypt",
            "ActionAfterCompletion": "a finished schedule stays locally",
        },
    ),
    "AWS::Scheduler::ScheduleGroup": ResourceKind(
        create=create_schedule_group,
        properties=frozenset({"Name"}),
        ignored_properties={"Tags": "tags have no local effect"},
    ),
}


def claims(source_arn: str, mapping_properties: dict[str, Any]) -> bool:
    return source_arn.split(":")[2:3] in (["events"], ["scheduler"])


def refuse_mapping(resource: Resource, context: ProvisionContext, new: Any) -> None:
    raise resource.error(
        "property EventSourceArn: a schedule invokes a function through its targets "
        "(Events: Type: Schedule or ScheduleV2), not an event source mapping"
    )
