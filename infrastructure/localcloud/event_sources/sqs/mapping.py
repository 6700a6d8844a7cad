"""An SQS event source mapping, as the template describes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localcloud.cloudformation.provisioning.context import ProvisionContext, Resource
from localcloud.event_sources import properties
from localcloud.event_sources.base import NewMapping
from localcloud.model import Stack

SOURCE = "sqs"
LOCAL_CONCURRENCY = 2
"""Batches of one SQS mapping in flight at once when the template sets no
ScalingConfig. Lambda starts at five and scales out; two keep a consumer's
concurrency visible locally without flooding a two-core machine with workers."""
MAPPING_PROPERTIES = frozenset(
    {
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "FunctionResponseTypes",
        "Enabled",
        "ScalingConfig",
        "DestinationConfig",
        "FilterCriteria",
    }
)
"""The event source mapping properties an SQS mapping reads."""


@dataclass(frozen=True)
class SqsMapping:
    function: str
    queue_url: str
    queue_arn: str
    batch_size: int = 10
    batching_window_s: float = 0.0
    report_batch_item_failures: bool = False
    enabled: bool = True
    maximum_concurrency: int = LOCAL_CONCURRENCY
    """Batches in flight at once: the template's ScalingConfig.MaximumConcurrency."""
    filters: tuple[dict[str, Any], ...] = ()
    """FilterCriteria patterns; a message that matches none is deleted undelivered."""


def sqs_mappings(stack: Stack) -> list[SqsMapping]:
    return stack.part_of(SOURCE, list[SqsMapping])


def claims(source_arn: str, mapping_properties: dict[str, Any]) -> bool:
    return source_arn.startswith("arn:") and source_arn.split(":")[2:3] == ["sqs"]


def add_mapping(resource: Resource, context: ProvisionContext, new: NewMapping) -> None:
    properties.ignore_destination(resource, context)
    sqs_mappings(context.stack).append(
        SqsMapping(
            function=new.function,
            queue_url=context.queue_urls.get(new.source_arn) or _queue_url(context, new.source_arn),
            queue_arn=new.source_arn,
            batch_size=resource.integer("BatchSize", 10) or 10,
            batching_window_s=properties.batching_window_s(resource),
            report_batch_item_failures=properties.reports_item_failures(resource),
            enabled=resource.flag("Enabled", True),
            maximum_concurrency=_maximum_concurrency(resource),
            filters=properties.filters(resource, new.function),
        )
    )


def _maximum_concurrency(resource: Resource) -> int:
    scaling = resource.properties.get("ScalingConfig") or {}
    if not isinstance(scaling, dict) or "MaximumConcurrency" not in scaling:
        return LOCAL_CONCURRENCY
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
