"""CloudWatch alarm evaluation for the emulator, which stores alarms but never evaluates
them: each alarm's state is computed from its metric's datapoints as CloudWatch does
(Period, EvaluationPeriods, DatapointsToAlarm, Threshold, ComparisonOperator,
TreatMissingData; metric math of + - * / over metric queries), set with SetAlarmState,
and a change of state is published to the alarm's SNS actions in CloudWatch's message
format.
"""

from __future__ import annotations

import ast
import json
import logging
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

logger = logging.getLogger(__name__)

Json = dict[str, Any]
Series = list[float | None]
"""One value per evaluation period, oldest first; None where the period has no data."""

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
MAX_QUERIES_PER_REQUEST = 500
COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
ARITHMETIC: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


class UnsupportedAlarm(ValueError):
    """An alarm this evaluator cannot compute (anomaly detection, metric math functions)."""


@dataclass(frozen=True)
class Verdict:
    state: str
    reason: str
    datapoints: Series


def judge(alarm: Mapping[str, Any], datapoints: Series) -> Verdict | None:
    """The state the alarm's datapoints put it in; None when it keeps its state (every
    datapoint missing and TreatMissingData `ignore`)."""
    compare, wording = _comparison(alarm)
    threshold = float(alarm["Threshold"])
    needed = int(alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"])
    treat_missing = alarm.get("TreatMissingData") or "missing"
    present = [value for value in datapoints if value is not None]
    if not present:
        state = {"missing": INSUFFICIENT_DATA, "breaching": ALARM, "notBreaching": OK}.get(
            treat_missing
        )
        if state is None:
            return None
        reason = (
            f"No datapoints in the last {len(datapoints)} periods (missing data: {treat_missing})"
        )
        return Verdict(state, reason, datapoints)
    breaching = sum(1 for value in present if compare(value, threshold))
    if treat_missing == "breaching":
        breaching += len(datapoints) - len(present)
    state = ALARM if breaching >= needed else OK
    shown = ", ".join(f"{value:g}" for value in present)
    reason = (
        f"Threshold Crossed: {breaching} out of the last {len(datapoints)} datapoints "
        f"[{shown}] {'were' if breaching != 1 else 'was'} {wording} the threshold "
        f"({threshold:g}) (minimum {needed} datapoint{'s' if needed != 1 else ''} "
        "for OK -> ALARM transition)."
    )
    return Verdict(state, reason, datapoints)


def _comparison(alarm: Mapping[str, Any]) -> tuple[Callable[[float, float], bool], str]:
    found = COMPARISONS.get(str(alarm.get("ComparisonOperator")))
    if found is None:
        raise UnsupportedAlarm(f"comparison {alarm.get('ComparisonOperator')} is not evaluated")
    return found


@dataclass(frozen=True)
class AlarmQueries:
    """What one alarm needs from GetMetricData over its evaluation window."""

    metric_queries: list[Json]
    """MetricStat queries, ids unique across every alarm of a request."""
    combine: Callable[[Mapping[str, Series]], Series]
    """The alarm's series from the query results (by query id)."""


def alarm_queries(alarm: Mapping[str, Any], prefix: str, period_s: int) -> AlarmQueries:
    """The queries of a single-metric alarm, or of a metric math alarm's metrics and its
    expression (the query with ReturnData true, or ThresholdMetricId's)."""
    if "MetricName" in alarm and alarm.get("MetricName"):
        query_id = f"{prefix}m"
        stat = alarm.get("Statistic") or alarm.get("ExtendedStatistic")
        if alarm.get("ExtendedStatistic"):
            raise UnsupportedAlarm("percentile statistics are not evaluated")
        metric = {
            "Namespace": alarm["Namespace"],
            "MetricName": alarm["MetricName"],
            "Dimensions": sorted_dimensions(alarm.get("Dimensions") or []),
        }
        query = {"Id": query_id, "MetricStat": {"Metric": metric, "Period": period_s, "Stat": stat}}
        return AlarmQueries([query], lambda results: results[query_id])
    return _math_queries(alarm.get("Metrics") or [], prefix, period_s)


def _math_queries(metrics: list[Json], prefix: str, period_s: int) -> AlarmQueries:
    stat_queries, expressions = [], {}
    for query in metrics:
        if "MetricStat" in query:
            metric_stat = query["MetricStat"]
            metric = {
                **metric_stat["Metric"],
                "Dimensions": sorted_dimensions(metric_stat["Metric"].get("Dimensions") or []),
            }
            stat_queries.append(
                {
                    "Id": prefix + query["Id"],
                    "MetricStat": {
                        "Metric": metric,
                        "Period": period_s,
                        "Stat": metric_stat["Stat"],
                    },
                }
            )
        elif "Expression" in query:
            expressions[query["Id"]] = _parse_expression(query["Expression"])
    returned = [query["Id"] for query in metrics if query.get("ReturnData", True)]
    if len(returned) != 1:
        raise UnsupportedAlarm("a metric math alarm returns exactly one query")
    target = returned[0]

    def combine(results: Mapping[str, Series]) -> Series:
        series = {key.removeprefix(prefix): value for key, value in results.items()}
        if target in series:
            return series[target]
        return _evaluate_expression(expressions[target], series)

    return AlarmQueries(stat_queries, combine)


def _parse_expression(expression: str) -> ast.expr:
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        raise UnsupportedAlarm(f"metric math {expression!r} is not evaluated") from None
    for node in ast.walk(tree):
        allowed = (ast.BinOp, ast.UnaryOp, ast.USub, ast.Constant, ast.Name, ast.Load)
        if not isinstance(node, allowed + tuple(ARITHMETIC)):
            raise UnsupportedAlarm(f"metric math {expression!r} is not evaluated")
    return tree


def _evaluate_expression(tree: ast.expr, series: Mapping[str, Series]) -> Series:
    length = max((len(values) for values in series.values()), default=0)
    return [_value_at(tree, series, index) for index in range(length)]


def _value_at(node: ast.expr, series: Mapping[str, Series], index: int) -> float | None:
    """The expression's value in one period; None if an operand has no data there (or a
    division by zero), as metric math leaves such a period out."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        values = series.get(node.id, [])
        return values[index] if index < len(values) else None
    if isinstance(node, ast.UnaryOp):
        operand = _value_at(node.operand, series, index)
        return None if operand is None else -operand
    if isinstance(node, ast.BinOp):
        left = _value_at(node.left, series, index)
        right = _value_at(node.right, series, index)
        if left is None or right is None or (isinstance(node.op, ast.Div) and right == 0):
            return None
        return ARITHMETIC[type(node.op)](left, right)
    raise UnsupportedAlarm("metric math node is not evaluated")


def sorted_dimensions(dimensions: Iterable[Mapping[str, str]]) -> list[Json]:
    """Dimensions in name order, the order the local cloud records them in: the emulator
    matches a query's dimension list to the data's in order."""
    return sorted(
        ({"Name": item["Name"], "Value": item["Value"]} for item in dimensions),
        key=lambda item: item["Name"],
    )


@dataclass(frozen=True)
class StateChange:
    alarm_name: str
    old_state: str
    new_state: str
    reason: str


class AlarmEvaluator:
    """Evaluates every metric alarm of the emulator against its metric data.

    `period_s`, when given, replaces every alarm's Period (tests make an alarm react within
    seconds instead of minutes); the template's alarms are unchanged."""

    def __init__(
        self,
        cloudwatch: Any,
        sns: Any,
        *,
        region: str,
        period_s: int | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._cloudwatch = cloudwatch
        self._sns = sns
        self._region = region
        self.period_s = period_s
        self._clock = clock
        self._unsupported: set[str] = set()

    def evaluate(self) -> list[StateChange]:
        """One evaluation of every alarm; the state changes it made."""
        alarms = self._metric_alarms()
        end = self._clock().replace(microsecond=0)
        series = self._series(alarms, end)
        changes = []
        for alarm in alarms:
            if alarm["AlarmName"] not in series:
                continue
            try:
                change = self._judge_and_set(alarm, series[alarm["AlarmName"]], end)
            except Exception as failure:
                # One alarm that cannot be set must not keep the others from being set.
                self._note_failure(alarm["AlarmName"], failure)
                continue
            if change is not None:
                changes.append(change)
        return changes

    def _judge_and_set(self, alarm: Json, datapoints: Series, end: datetime) -> StateChange | None:
        verdict = judge(alarm, datapoints)
        if verdict is None or verdict.state == alarm["StateValue"]:
            return None
        return self._change_state(alarm, verdict, end)

    def _metric_alarms(self) -> list[Json]:
        pages = self._cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmTypes=["MetricAlarm"]
        )
        return [alarm for page in pages for alarm in page.get("MetricAlarms", [])]

    def _period(self, alarm: Mapping[str, Any]) -> int:
        if self.period_s is not None:
            return self.period_s
        if alarm.get("Period"):
            return int(alarm["Period"])
        # A metric math alarm has no Period of its own: its metrics' periods are its period
        # (its expressions have none).
        periods = [
            query["MetricStat"].get("Period")
            for query in alarm.get("Metrics") or []
            if "MetricStat" in query
        ]
        return int(min((p for p in periods if p), default=60))

    def _series(self, alarms: list[Json], end: datetime) -> dict[str, Series]:
        """Each alarm's datapoints, from one GetMetricData per evaluation window."""
        by_window: dict[tuple[int, int], list[tuple[str, AlarmQueries]]] = {}
        for index, alarm in enumerate(alarms):
            try:
                period = self._period(alarm)
                _comparison(alarm)
                planned = alarm_queries(alarm, f"a{index}_", period)
                window = (period, int(alarm["EvaluationPeriods"]))
            except UnsupportedAlarm as unsupported:
                self._note_unsupported(alarm["AlarmName"], str(unsupported))
                continue
            except Exception as failure:
                self._note_failure(alarm["AlarmName"], failure)
                continue
            by_window.setdefault(window, []).append((alarm["AlarmName"], planned))
        series: dict[str, Series] = {}
        for (period, count), members in by_window.items():
            series |= self._window_series(members, end, period, count)
        return series

    def _window_series(
        self, members: list[tuple[str, AlarmQueries]], end: datetime, period: int, count: int
    ) -> dict[str, Series]:
        start = end - timedelta(seconds=period * count)
        queries = [query for _, planned in members for query in planned.metric_queries]
        results = self._metric_data(queries, start, end, period, count)
        series: dict[str, Series] = {}
        for name, planned in members:
            try:
                series[name] = planned.combine(results)
            except Exception as failure:
                self._note_failure(name, failure)
        return series

    def _metric_data(
        self, queries: list[Json], start: datetime, end: datetime, period: int, count: int
    ) -> dict[str, Series]:
        results: dict[str, Series] = {}
        for first in range(0, len(queries), MAX_QUERIES_PER_REQUEST):
            answer = self._cloudwatch.get_metric_data(
                MetricDataQueries=queries[first : first + MAX_QUERIES_PER_REQUEST],
                StartTime=start,
                EndTime=end,
                ScanBy="TimestampAscending",
            )
            for result in answer["MetricDataResults"]:
                values: Series = [None] * count
                for timestamp, value in zip(result["Timestamps"], result["Values"], strict=True):
                    slot = round((timestamp.timestamp() - start.timestamp()) / period)
                    if 0 <= slot < count:
                        values[slot] = float(value)
                results[result["Id"]] = values
        return results

    def _change_state(self, alarm: Json, verdict: Verdict, at: datetime) -> StateChange:
        self._cloudwatch.set_alarm_state(
            AlarmName=alarm["AlarmName"],
            StateValue=verdict.state,
            StateReason=verdict.reason[:1023],
            StateReasonData=json.dumps({"version": "1.0", "recentDatapoints": verdict.datapoints}),
        )
        change = StateChange(alarm["AlarmName"], alarm["StateValue"], verdict.state, verdict.reason)
        if alarm.get("ActionsEnabled", True):
            self._notify(alarm, change, at)
        return change

    def _notify(self, alarm: Json, change: StateChange, at: datetime) -> None:
        actions_by_state = {
            ALARM: "AlarmActions",
            OK: "OKActions",
            INSUFFICIENT_DATA: "InsufficientDataActions",
        }
        topics = [
            arn
            for arn in alarm.get(actions_by_state[change.new_state]) or []
            if arn.startswith("arn:") and ":sns:" in arn
        ]
        message = alarm_notification(alarm, change, at, self._region)
        subject = f'{change.new_state}: "{change.alarm_name}" in {self._region}'[:100]
        for topic in topics:
            self._sns.publish(TopicArn=topic, Subject=subject, Message=json.dumps(message))

    def _note_failure(self, alarm_name: str, failure: Exception) -> None:
        logger.warning(
            "Alarm %s was not evaluated: %s: %s",
            alarm_name,
            type(failure).__name__,
            failure,
            exc_info=logger.isEnabledFor(logging.DEBUG),
        )

    def _note_unsupported(self, alarm_name: str, why: str) -> None:
        if alarm_name not in self._unsupported:
            self._unsupported.add(alarm_name)
            logger.warning("Alarm %s is not evaluated locally: %s", alarm_name, why)


def alarm_notification(alarm: Json, change: StateChange, at: datetime, region: str) -> Json:
    """The message CloudWatch publishes to an alarm's SNS topic on a change of state."""
    trigger: Json = {
        "Period": alarm.get("Period"),
        "EvaluationPeriods": alarm.get("EvaluationPeriods"),
        "ComparisonOperator": alarm.get("ComparisonOperator"),
        "Threshold": alarm.get("Threshold"),
        "TreatMissingData": alarm.get("TreatMissingData") or "missing",
    }
    if alarm.get("MetricName"):
        trigger |= {
            "MetricName": alarm["MetricName"],
            "Namespace": alarm.get("Namespace"),
            "StatisticType": "Statistic",
            "Statistic": str(alarm.get("Statistic", "")).upper(),
            "Dimensions": [
                {"name": item["Name"], "value": item["Value"]}
                for item in alarm.get("Dimensions") or []
            ],
        }
    else:
        trigger["Metrics"] = alarm.get("Metrics") or []
    return {
        "AlarmName": change.alarm_name,
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AlarmArn": alarm.get("AlarmArn"),
        "NewStateValue": change.new_state,
        "NewStateReason": change.reason,
        "OldStateValue": change.old_state,
        "StateChangeTime": at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "Region": region,
        "Trigger": trigger,
    }
