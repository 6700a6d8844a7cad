"""Metric data for the emulated CloudWatch, in the namespaces and dimensions AWS uses.

- A function's Embedded Metric Format line (Powertools Metrics prints one per flush)
  becomes the metric data CloudWatch Logs would extract from it.
- An invocation becomes AWS/Lambda Invocations, Errors, Duration and Throttles by
  FunctionName (and IteratorAge, for a DynamoDB stream batch); an API request
  AWS/ApiGateway Count, 4XXError, 5XXError and Latency by ApiName (and Stage, and Method
  and Resource for a matched route); a queue's sampled attributes AWS/SQS
  ApproximateNumberOf... and ApproximateAgeOfOldestMessage by QueueName.
- `MetricPublisher` sends them to the emulator from a background thread, in batches
  (`BackgroundBatcher`), so whatever records a metric (a log line, an invocation, a
  request) never waits for it.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from localcloud.model import InvocationResult

logger = logging.getLogger(__name__)
T = TypeVar("T")

Dimensions = tuple[tuple[str, str], ...]
SendMetricData = Callable[[str, list[dict[str, Any]]], None]
"""PutMetricData for one namespace: (Namespace, MetricData)."""

EMF_MARKER = '"_aws"'
MAX_DATA_PER_REQUEST = 500
STANDARD_UNITS = frozenset(
    {
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    }
)
QUEUE_ATTRIBUTE_METRICS = {
    "ApproximateNumberOfMessages": ("ApproximateNumberOfMessagesVisible", "Count"),
    "ApproximateNumberOfMessagesNotVisible": ("ApproximateNumberOfMessagesNotVisible", "Count"),
    "ApproximateNumberOfMessagesDelayed": ("ApproximateNumberOfMessagesDelayed", "Count"),
    "ApproximateAgeOfOldestMessage": ("ApproximateAgeOfOldestMessage", "Seconds"),
}


@dataclass(frozen=True)
class MetricPoint:
    namespace: str
    name: str
    dimensions: Dimensions
    """(name, value) pairs sorted by name: the emulator matches dimension lists in order."""
    values: tuple[float, ...]
    unit: str
    timestamp: datetime


def dimensions_of(pairs: Mapping[str, str]) -> Dimensions:
    return tuple(sorted(pairs.items()))


def is_emf_line(line: str) -> bool:
    """Cheap enough to ask of every log line: parsing waits for the background thread."""
    return line.startswith("{") and EMF_MARKER in line


def emf_metric_points(line: str) -> list[MetricPoint]:
    """The metric data of one Embedded Metric Format document; none if it is not one."""
    try:
        document = json.loads(line)
    except ValueError:
        return []
    envelope = document.get("_aws") if isinstance(document, dict) else None
    if not isinstance(envelope, dict):
        return []
    timestamp = _emf_timestamp(envelope.get("Timestamp"))
    points = []
    for directive in envelope.get("CloudWatchMetrics") or []:
        if isinstance(directive, dict) and isinstance(directive.get("Namespace"), str):
            points += _directive_points(directive, document, timestamp)
    return points


def _directive_points(
    directive: dict[str, Any], document: dict[str, Any], timestamp: datetime
) -> list[MetricPoint]:
    # No dimension set at all publishes each metric without dimensions.
    dimension_sets = directive.get("Dimensions") or [[]]
    points = []
    for dimension_set in dimension_sets:
        dimensions = dimensions_of(
            {name: str(document[name]) for name in dimension_set if name in document}
        )
        for metric in directive.get("Metrics") or []:
            values = _numbers(document.get(metric.get("Name")))
            if values:
                unit = metric.get("Unit") if metric.get("Unit") in STANDARD_UNITS else "None"
                points.append(
                    MetricPoint(
                        directive["Namespace"], metric["Name"], dimensions, values, unit, timestamp
                    )
                )
    return points


def _numbers(value: object) -> tuple[float, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(
        float(item)
        for item in items
        if isinstance(item, int | float) and not isinstance(item, bool)
    )


def _emf_timestamp(milliseconds: object) -> datetime:
    if isinstance(milliseconds, int | float) and not isinstance(milliseconds, bool):
        return datetime.fromtimestamp(milliseconds / 1000, UTC)
    return datetime.now(UTC)


def lambda_invocation_points(
    function_name: str, result: InvocationResult, at: datetime
) -> list[MetricPoint]:
    dimensions = (("FunctionName", function_name),)

    def point(name: str, value: float, unit: str = "Count") -> MetricPoint:
        return MetricPoint("AWS/Lambda", name, dimensions, (value,), unit, at)

    return [
        point("Invocations", 1.0),
        point("Errors", 0.0 if result.ok else 1.0),
        point("Duration", result.duration_ms, "Milliseconds"),
        # The local invoker queues an invocation beyond a function's concurrency instead
        # of refusing it, so nothing is ever throttled.
        point("Throttles", 0.0),
    ]


def iterator_age_points(
    function_name: str, event: Mapping[str, Any], sent_at: float, at: datetime
) -> list[MetricPoint]:
    """AWS/Lambda IteratorAge of a DynamoDB stream invocation: how old the batch's last
    record was when the event went out (`sent_at`, epoch seconds); none for other events."""
    records = event.get("Records")
    last = records[-1] if isinstance(records, list) and records else None
    if not isinstance(last, Mapping) or last.get("eventSource") != "aws:dynamodb":
        return []
    created = (last.get("dynamodb") or {}).get("ApproximateCreationDateTime")
    if not isinstance(created, int | float):
        return []
    age_ms = max(0.0, (sent_at - created) * 1000)
    dimensions = (("FunctionName", function_name),)
    return [MetricPoint("AWS/Lambda", "IteratorAge", dimensions, (age_ms,), "Milliseconds", at)]


@dataclass(frozen=True)
class ApiRequest:
    """One request the API answered; `method` and `resource` are the matched route's."""

    status: int
    latency_ms: float
    method: str | None = None
    resource: str | None = None


def api_request_points(
    api_name: str, stage: str, request: ApiRequest, at: datetime
) -> list[MetricPoint]:
    dimension_sets = [{"ApiName": api_name}, {"ApiName": api_name, "Stage": stage}]
    if request.method is not None and request.resource is not None:
        dimension_sets.append(
            {
                "ApiName": api_name,
                "Stage": stage,
                "Method": request.method,
                "Resource": request.resource,
            }
        )
    measures = (
        ("Count", 1.0, "Count"),
        ("4XXError", 1.0 if 400 <= request.status < 500 else 0.0, "Count"),
        ("5XXError", 1.0 if request.status >= 500 else 0.0, "Count"),
        ("Latency", request.latency_ms, "Milliseconds"),
    )
    return [
        MetricPoint("AWS/ApiGateway", name, dimensions_of(pairs), (value,), unit, at)
        for pairs in dimension_sets
        for name, value, unit in measures
    ]


def queue_points(queue_name: str, attributes: Mapping[str, str], at: datetime) -> list[MetricPoint]:
    dimensions = (("QueueName", queue_name),)
    return [
        MetricPoint("AWS/SQS", metric, dimensions, (float(attributes[attribute]),), unit, at)
        for attribute, (metric, unit) in QUEUE_ATTRIBUTE_METRICS.items()
        if attribute in attributes
    ]


def metric_data(points: Iterable[MetricPoint]) -> dict[str, list[dict[str, Any]]]:
    """PutMetricData's MetricData per namespace. The values of one metric within the same
    second go as one statistic set, so a busy function costs the emulator one datum per
    second and metric, not one per value."""
    grouped: dict[tuple[str, str, Dimensions, str, datetime], list[float]] = {}
    for point in points:
        second = point.timestamp.replace(microsecond=0)
        key = (point.namespace, point.name, point.dimensions, point.unit, second)
        grouped.setdefault(key, []).extend(point.values)
    by_namespace: dict[str, list[dict[str, Any]]] = {}
    for (namespace, name, dimensions, unit, second), values in grouped.items():
        datum: dict[str, Any] = {
            "MetricName": name,
            "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions],
            "Unit": unit,
            "Timestamp": second,
        }
        if len(values) == 1:
            datum["Value"] = values[0]
        else:
            datum["StatisticValues"] = {
                "SampleCount": float(len(values)),
                "Sum": sum(values),
                "Minimum": min(values),
                "Maximum": max(values),
            }
        by_namespace.setdefault(namespace, []).append(datum)
    return by_namespace


_STOP = object()


class BackgroundBatcher[T]:
    """Collects items from any thread; one background thread hands them to `deliver` in
    batches, at most `interval_s` after they came, so whoever puts an item never waits."""

    def __init__(
        self,
        deliver: Callable[[list[T]], None],
        *,
        name: str,
        interval_s: float = 1.0,
        max_batch: int = MAX_DATA_PER_REQUEST,
    ) -> None:
        self._deliver = deliver
        self._name = name
        self._interval = interval_s
        self._max_batch = max_batch
        self._inbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Delivers what is pending, then ends the thread."""
        if self._thread is not None:
            self._inbox.put(_STOP)
            self._thread.join(timeout_s)
            self._thread = None

    def put(self, item: T) -> None:
        self._inbox.put(item)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Waits until everything put before the call was delivered; False on timeout."""
        delivered = threading.Event()
        self._inbox.put(delivered)
        return delivered.wait(timeout_s)

    def _run(self) -> None:
        pending: list[T] = []
        due = time.monotonic() + self._interval
        while True:
            item = self._next(due if pending else None)
            if item is _STOP:
                self._deliver_safely(pending)
                return
            if isinstance(item, threading.Event):
                self._deliver_safely(pending)
                pending = []
                item.set()
            elif item is not None:
                pending.append(cast(T, item))
            if pending and (time.monotonic() >= due or len(pending) >= self._max_batch):
                self._deliver_safely(pending)
                pending = []
            if not pending:
                due = time.monotonic() + self._interval

    def _next(self, due: float | None) -> object:
        try:
            if due is None:
                return self._inbox.get()
            return self._inbox.get(timeout=max(0.0, due - time.monotonic()))
        except queue.Empty:
            return None

    def _deliver_safely(self, items: list[T]) -> None:
        if not items:
            return
        try:
            self._deliver(items)
        except Exception:
            # Best effort: an emulator that is being reset or has stopped must not end
            # the thread that everyone puts into.
            logger.warning("%s could not deliver %d items", self._name, len(items), exc_info=True)


class MetricPublisher:
    """Metric points and EMF lines from any thread, sent to CloudWatch in batches from a
    background thread (which also parses the EMF lines)."""

    def __init__(self, send: SendMetricData, *, flush_interval_s: float = 1.0) -> None:
        self._send = send
        self._batches: BackgroundBatcher[MetricPoint | str] = BackgroundBatcher(
            self._publish, name="metric-publisher", interval_s=flush_interval_s
        )

    def start(self) -> None:
        self._batches.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._batches.stop(timeout_s)

    def record(self, points: Iterable[MetricPoint]) -> None:
        for point in points:
            self._batches.put(point)

    def record_emf(self, line: str) -> None:
        self._batches.put(line)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Waits until everything recorded before the call was sent; False on timeout."""
        return self._batches.flush(timeout_s)

    def _publish(self, items: list[MetricPoint | str]) -> None:
        points: list[MetricPoint] = []
        for item in items:
            points += emf_metric_points(item) if isinstance(item, str) else [item]
        for namespace, data in metric_data(points).items():
            for start in range(0, len(data), MAX_DATA_PER_REQUEST):
                self._send(namespace, data[start : start + MAX_DATA_PER_REQUEST])
