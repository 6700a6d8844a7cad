"""A DynamoDB Streams event source mapping, as the template describes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localcloud.cloudformation.provisioning.context import ProvisionContext, Resource
from localcloud.event_sources import properties
from localcloud.event_sources.base import NewMapping
from localcloud.event_sources.properties import StartingPosition
from localcloud.model import Stack

SOURCE = "dynamodb_streams"
MAPPING_PROPERTIES = frozenset(
    {
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "FunctionResponseTypes",
        "Enabled",
        "DestinationConfig",
        "FilterCriteria",
        "StartingPosition",
        "MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds",
        "BisectBatchOnFunctionError",
    }
)
"""The event source mapping properties a DynamoDB stream mapping reads."""


@dataclass(frozen=True)
class StreamMapping:
    function: str
    stream_arn: str
    table_name: str
    batch_size: int = 100
    batching_window_s: float = 0.0
    starting_position: StartingPosition = "LATEST"
    maximum_retry_attempts: int = -1
    """-1 retries until the record expires, as Lambda does."""
    maximum_record_age_s: int = -1
    """Records older than this are given up on instead of invoked; -1: no limit."""
    bisect_batch_on_error: bool = False
    report_batch_item_failures: bool = False
    enabled: bool = True
    filters: tuple[dict[str, Any], ...] = ()
    """FilterCriteria patterns; a record that matches none is passed over."""
    on_failure_destination: str | None = None
    """ARN of the SQS queue or SNS topic given-up records are reported to."""
    function_arn: str = ""


def stream_mappings(stack: Stack) -> list[StreamMapping]:
    return stack.part_of(SOURCE, list[StreamMapping])


def claims(source_arn: str, mapping_properties: dict[str, Any]) -> bool:
    parts = source_arn.split(":")
    return len(parts) >= 6 and parts[2] == "dynamodb" and "/stream/" in source_arn


def add_mapping(resource: Resource, context: ProvisionContext, new: NewMapping) -> None:
    stream_mappings(context.stack).append(
        StreamMapping(
            function=new.function,
            stream_arn=new.source_arn,
            table_name=new.source_arn.split(":", 5)[5].split("/")[1],
            batch_size=resource.integer("BatchSize", 100) or 100,
            batching_window_s=properties.batching_window_s(resource),
            starting_position=properties.starting_position(resource),
            maximum_retry_attempts=properties.integer_or(resource, "MaximumRetryAttempts", -1),
            maximum_record_age_s=properties.integer_or(resource, "MaximumRecordAgeInSeconds", -1),
            bisect_batch_on_error=resource.flag("BisectBatchOnFunctionError"),
            report_batch_item_failures=properties.reports_item_failures(resource),
            enabled=resource.flag("Enabled", True),
            filters=properties.filters(resource, new.function),
            on_failure_destination=properties.on_failure_destination(resource),
            function_arn=context.stack.functions[new.function].arn,
        )
    )
