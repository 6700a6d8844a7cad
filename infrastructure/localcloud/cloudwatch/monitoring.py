"""The local cloud's CloudWatch side, run beside the functions: their log lines go to
CloudWatch Logs (and their EMF lines become metric data), their invocations and the API's
requests become metric data in the emulator, queue depths are sampled as AWS/SQS
publishes them, and the template's alarms are evaluated."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from localcloud.cloudwatch.alarms import AlarmEvaluator, StateChange
from localcloud.cloudwatch.metrics import (
    ApiRequest,
    BackgroundBatcher,
    MetricPoint,
    MetricPublisher,
    api_request_points,
    is_emf_line,
    iterator_age_points,
    lambda_invocation_points,
    queue_points,
)
from localcloud.emulator.clients import EmulatorClients
from localcloud.event_sources.base import MetricsSampler
from localcloud.event_sources.registry import EVENT_SOURCES
from localcloud.model import InvocationResult, Route, Stack

logger = logging.getLogger(__name__)

QUEUE_ATTRIBUTES = ["All"]
LOG_EVENTS_PER_REQUEST = 1000
STOP_TIMEOUT_S = 2.0
MAX_LOG_EVENT_CHARS = 200_000
LogLine = tuple[str, str, int, str]
"""Log group, log stream, timestamp (ms), line."""


@dataclass(frozen=True)
class MonitoringSettings:
    sample_interval_s: float = 10.0
    """How often the alarms are evaluated (and the metrics recorded since, sent first)."""
    queue_sample_interval_s: float = 30.0
    """How often queue and broker depths are sampled. AWS sends them once a minute; the
    alarms here look back over a sliding window as short as a minute, so twice a minute
    keeps a sample in every window, and an idle local cloud stores a third of the
    datapoints (and makes a third of the calls) sampling every cycle did."""
    alarm_period_s: int | None = None
    """Evaluate every alarm as if its Period were this many seconds (tests make alarms
    react within seconds); None keeps each alarm's own period."""
    flush_interval_s: float = 1.0
    """The longest a metric waits before it is sent to the emulator."""
    clock_ahead_s: float = 0.0
    """Stamp the metrics the local cloud derives, and evaluate the alarms, this many seconds
    ahead of the wall clock: a test lets an alarm's own period pass without waiting it out
    (data stamped before the jump falls out of the alarm's window, as it would in time)."""


class LocalMonitoring:
    def __init__(self, endpoint_url: str, region: str, settings: MonitoringSettings) -> None:
        self.settings = settings
        self._endpoint_url = endpoint_url
        self._region = region
        self._cloudwatch = self._client("cloudwatch")
        self._publisher = MetricPublisher(
            self._put_metric_data, flush_interval_s=settings.flush_interval_s
        )
        self._log_shipper = FunctionLogShipper(
            self._client("logs"), interval_s=settings.flush_interval_s
        )
        self._function_names: dict[str, str] = {}
        self._log_groups: dict[str, str] = {}
        """Function name -> the log group its lines go to."""
        self._api: tuple[str, str] = ("", "")
        self._evaluator = AlarmEvaluator(
            self._cloudwatch,
            self._client("sns"),
            region=region,
            period_s=settings.alarm_period_s,
            clock=self._now,
        )
        self._sqs = self._client("sqs")
        self._stack: Stack | None = None
        self._source_samplers: dict[str, MetricsSampler] = {}
        self._cycle_lock = threading.Lock()
        self._queues_sampled_at = -math.inf
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, stack: Stack) -> None:
        self._function_names = {key: spec.name for key, spec in stack.functions.items()}
        self._log_groups = {spec.name: spec.log_group_name for spec in stack.functions.values()}
        # Held for its event sources' parts, which live as long as the stack does; a reset keeps
        # the stack's topics, groups and broker.
        self._stack = stack
        self._source_samplers = {
            kind.name: sampler
            for kind in EVENT_SOURCES
            if (sampler := kind.metrics(stack)) is not None
        }
        # API Gateway names a SAM API after its stack unless the template names it.
        self._api = (stack.name, stack.api_stage)
        self._publisher.start()
        self._log_shipper.start()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="local-monitoring", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Returns within a few seconds even mid-cycle: the threads are daemons, and
        what they still hold goes nowhere once the emulator stops after them."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            self._thread = None
        self._publisher.stop(STOP_TIMEOUT_S)
        self._log_shipper.stop(STOP_TIMEOUT_S)

    def configure(self, settings: MonitoringSettings) -> None:
        """New intervals and alarm period, from the next cycle on."""
        self.settings = settings
        self._evaluator.period_s = settings.alarm_period_s
        self._wake.set()

    def function_log_line(self, function_name: str, line: str, log_stream: str = "") -> None:
        group = self._log_groups.get(function_name) or f"/aws/lambda/{function_name}"
        self._log_shipper.ship(group, line, log_stream)
        if is_emf_line(line):
            self._publisher.record_emf(line)

    def invocation(
        self, logical_id: str, result: InvocationResult, event: Mapping[str, Any] | None = None
    ) -> None:
        name = self._function_names.get(logical_id, logical_id)
        now = self._now()
        points = lambda_invocation_points(name, result, now)
        if event is not None:
            sent_at = time.time() - result.duration_ms / 1000
            points += iterator_age_points(name, event, sent_at, now)
        self._publisher.record(points)

    def api_request(self, route: Route | None, status: int, latency_ms: float) -> None:
        request = ApiRequest(
            status,
            latency_ms,
            route.method if route else None,
            route.path if route else None,
        )
        api_name, stage = self._api
        self._publisher.record(api_request_points(api_name, stage, request, self._now()))

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Waits until every metric and log line recorded so far is in the emulator."""
        return self._publisher.flush(timeout_s) and self._log_shipper.flush(timeout_s)

    def run_cycle(self) -> list[StateChange]:
        """Samples the queues and evaluates the alarms now; the alarms' changes of state."""
        return self._cycle(sample_queues=True)

    def _cycle(self, *, sample_queues: bool) -> list[StateChange]:
        with self._cycle_lock:
            if sample_queues:
                self._queues_sampled_at = time.monotonic()
                self._publisher.record(self._queue_samples() + self._source_samples())
            self._publisher.flush()
            return self._evaluator.evaluate()

    def _run(self) -> None:
        while not self._stopping.is_set():
            since_sampled = time.monotonic() - self._queues_sampled_at
            try:
                self._cycle(sample_queues=since_sampled >= self.settings.queue_sample_interval_s)
            except Exception as failure:
                self._report_failed_cycle(failure)
            self._wake.wait(self.settings.sample_interval_s)
            self._wake.clear()

    def _now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.settings.clock_ahead_s)

    def _report_failed_cycle(self, failure: Exception) -> None:
        if self._stopping.is_set():
            return  # the emulator stops with the local cloud: nothing went wrong
        # The next cycle tries again (the emulator may have been mid-reset), but a cycle that
        # keeps failing leaves every alarm in its old state: that must show in the log.
        logger.warning(
            "Monitoring cycle failed (queues not sampled or alarms not evaluated): %s: %s",
            type(failure).__name__,
            failure,
            exc_info=logger.isEnabledFor(logging.DEBUG),
        )

    def _queue_samples(self) -> list[MetricPoint]:
        now = self._now()
        points = []
        for url in self._sqs.list_queues().get("QueueUrls", []):
            try:
                attributes = self._sqs.get_queue_attributes(
                    QueueUrl=url, AttributeNames=QUEUE_ATTRIBUTES
                )["Attributes"]
            except self._sqs.exceptions.QueueDoesNotExist:
                continue
            points += queue_points(url.rsplit("/", 1)[-1], attributes, now)
        return points

    def _source_samples(self) -> list[MetricPoint]:
        points: list[MetricPoint] = []
        for name, sampler in self._source_samplers.items():
            try:
                points += sampler.sample(self._now())
            except Exception as failure:
                # A broker may be mid-reset: the queues and alarms still get their cycle.
                logger.warning(
                    "%s metrics not sampled: %s: %s", name, type(failure).__name__, failure
                )
        return points

    def _put_metric_data(self, namespace: str, data: list[dict[str, Any]]) -> None:
        self._cloudwatch.put_metric_data(Namespace=namespace, MetricData=data)

    def _client(self, service: str) -> Any:
        return EmulatorClients.for_emulator(self._endpoint_url, self._region).client(service)


class FunctionLogShipper:
    """Every line the functions write goes to CloudWatch Logs as Lambda ships it (to the log
    group the function's LoggingConfig names, else /aws/lambda/<function name>), so
    `aws logs filter-log-events` finds it there."""

    def __init__(self, logs: Any, *, interval_s: float = 1.0) -> None:
        self._logs = logs
        self._stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]local"
        self._batches: BackgroundBatcher[LogLine] = BackgroundBatcher(
            self._ship, name="log-shipper", interval_s=interval_s, max_batch=LOG_EVENTS_PER_REQUEST
        )

    def start(self) -> None:
        self._batches.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._batches.stop(timeout_s)

    def flush(self, timeout_s: float = 10.0) -> bool:
        return self._batches.flush(timeout_s)

    def ship(self, log_group: str, line: str, log_stream: str = "") -> None:
        """One line, into `log_stream` (the execution environment's, as
        `context.log_stream_name` names it), or a stream of the local cloud's own."""
        if line:
            timestamp = int(time.time() * 1000)
            self._batches.put((log_group, log_stream or self._stream, timestamp, line))

    def _ship(self, lines: list[LogLine]) -> None:
        by_stream: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for log_group, stream, timestamp, line in lines:
            event = {"timestamp": timestamp, "message": line[:MAX_LOG_EVENT_CHARS]}
            by_stream.setdefault((log_group, stream), []).append(event)
        for (group, stream), events in by_stream.items():
            self._put(group, stream, sorted(events, key=lambda e: e["timestamp"]))

    def _put(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        try:
            self._logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        except self._logs.exceptions.ResourceNotFoundException:
            # First lines of the function, or the emulator was reset since.
            with suppress(self._logs.exceptions.ResourceAlreadyExistsException):
                self._logs.create_log_group(logGroupName=group)
            with suppress(self._logs.exceptions.ResourceAlreadyExistsException):
                self._logs.create_log_stream(logGroupName=group, logStreamName=stream)
            self._logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
