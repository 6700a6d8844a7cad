"""AWS::CloudWatch::Dashboard, AWS::CloudWatch::Alarm and AWS::Logs::LogGroup."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from localcloud.cloudformation.intrinsics import ACCOUNT_ID
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)

_ALARM_SETTINGS = (
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)
_INTEGER_ALARM_SETTINGS = ("Period", "EvaluationPeriods", "DatapointsToAlarm")
_TAGS = "tags have no local effect"


def _arn(context: ProvisionContext, service: str, resource_path: str) -> str:
    partition = context.resolver.pseudo["AWS::Partition"]
    return f"arn:{partition}:{service}:{context.stack.region}:{ACCOUNT_ID}:{resource_path}"


def create_dashboard(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = resource.physical_name(context.stack.name, "DashboardName")
    body = resource.properties.get("DashboardBody", "{}")
    with context.calling_emulator(resource):
        context.clients.cloudwatch().put_dashboard(
            DashboardName=name, DashboardBody=body if isinstance(body, str) else json.dumps(body)
        )
    return Provisioned(ref=name)


def create_alarm(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = resource.physical_name(context.stack.name, "AlarmName")
    with context.calling_emulator(resource):
        context.clients.cloudwatch().put_metric_alarm(AlarmName=name, **_alarm_settings(resource))
    return Provisioned(ref=name, attributes={"Arn": _arn(context, "cloudwatch", f"alarm:{name}")})


def _alarm_settings(resource: Resource) -> dict[str, Any]:
    settings = {
        key: resource.properties[key] for key in _ALARM_SETTINGS if key in resource.properties
    }
    for key in _INTEGER_ALARM_SETTINGS:
        if key in settings:
            settings[key] = resource.integer(key)
    if "Threshold" in settings:
        settings["Threshold"] = float(settings["Threshold"])
    if "ActionsEnabled" in settings:
        settings["ActionsEnabled"] = resource.flag("ActionsEnabled")
    if "Metrics" in settings:
        settings["Metrics"] = [_metric_query(resource, query) for query in settings["Metrics"]]
    return settings


def _metric_query(resource: Resource, query: dict[str, Any]) -> dict[str, Any]:
    typed = dict(query)
    if "Period" in typed:
        typed["Period"] = int(typed["Period"])
    if "ReturnData" in typed:
        typed["ReturnData"] = resource.boolean(typed["ReturnData"], "Metrics.ReturnData")
    if "MetricStat" in typed and "Period" in typed["MetricStat"]:
        typed["MetricStat"] = {**typed["MetricStat"], "Period": int(typed["MetricStat"]["Period"])}
    return typed


def create_log_group(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = resource.physical_name(context.stack.name, "LogGroupName")
    logs = context.clients.logs()
    with context.calling_emulator(resource):
        with suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_group(logGroupName=name)
        if "RetentionInDays" in resource.properties:
            logs.put_retention_policy(
                logGroupName=name, retentionInDays=resource.integer("RetentionInDays")
            )
    return Provisioned(ref=name, attributes={"Arn": _arn(context, "logs", f"log-group:{name}:*")})


KINDS = {
    "AWS::CloudWatch::Dashboard": ResourceKind(
        create=create_dashboard, properties=frozenset({"DashboardName", "DashboardBody"})
    ),
    "AWS::CloudWatch::Alarm": ResourceKind(
        create=create_alarm,
        properties=frozenset({"AlarmName", *_ALARM_SETTINGS}),
        ignored_properties={"Tags": _TAGS},
    ),
    "AWS::Logs::LogGroup": ResourceKind(
        create=create_log_group,
        properties=frozenset({"LogGroupName", "RetentionInDays"}),
        ignored_properties={
            "KmsKeyId": "the emulator does not encrypt",
            "Tags": _TAGS,
            "DataProtectionPolicy": "no log data protection locally",
            "LogGroupClass": "log classes differ only in price and features not used locally",
            "FieldIndexPolicies": "no log indexing locally",
        },
    ),
}
