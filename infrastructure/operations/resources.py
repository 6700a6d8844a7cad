"""The operations resources for an inventory of the template: an SNS topic for alarms, a
CloudWatch dashboard, the alarms and a log group per function, as CloudFormation resources
(intrinsics as `Ref`, `GetAtt` and `Sub` values, written out as YAML short tags)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from operations.inventory import Function, Inventory, StageRef

ALARM_TOPIC = "AlarmTopic"
DASHBOARD = "OperationsDashboard"
NAMESPACE = "PetStore"
RUNBOOKS = "docs/runbooks.md"
LOG_RETENTION_PARAMETER = "LogRetentionInDays"
PERIOD_S = 60
WIDGET_WIDTH, WIDGET_HEIGHT, WIDGETS_PER_ROW = 6, 6, 4

OLDEST_MESSAGE_LIMIT_S = 300
ITERATOR_AGE_LIMIT_MS = 300_000
"""As for a queue's oldest message: a stream record waiting over 5 minutes to be handled."""
CONSUMER_ERROR_RATE_LIMIT_PERCENT = 5
API_5XX_RATE_LIMIT = 0.05

ORDER_FUNNEL = (
    "OrdersPlaced",
    "OrdersConfirmed",
    "OrdersRejected",
    "OrdersPaymentFailed",
    "OrdersCancelled",
)
PAYMENT_OUTCOMES = ("PaymentsSucceeded", "PaymentsDeclined", "PaymentsRefunded")


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class GetAtt:
    resource: str
    attribute: str


@dataclass(frozen=True)
class Sub:
    text: str


def operations_resources(inventory: Inventory) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, in the order they are written."""
    alarms = _alarms(inventory)
    return {
        ALARM_TOPIC: {
            "Type": "AWS::SNS::Topic",
            "Metadata": {
                "checkov": {
                    "skip": [
                        {
                            "id": "CKV_AWS_26",
                            "comment": "CloudWatch cannot publish to a topic encrypted with "
                            "the AWS managed key; alarms carry no shopper data.",
                        }
                    ]
                }
            },
            "Properties": {"DisplayName": "Pet store alarms"},
        },
        DASHBOARD: {
            "Type": "AWS::CloudWatch::Dashboard",
            "Properties": {
                "DashboardName": Sub("${AWS::StackName}-operations"),
                "DashboardBody": Sub(dashboard_body(inventory, list(alarms))),
            },
        },
        **alarms,
        **_log_groups(inventory),
    }


def log_group_id(function: str) -> str:
    """The logical id of the log group a function's LoggingConfig names."""
    return f"{function}LogGroup"


def _log_groups(inventory: Inventory) -> dict[str, dict[str, Any]]:
    return {
        log_group_id(function.logical_id): log_group(function.logical_id)
        for function in inventory.functions
    }


def log_group(function: str) -> dict[str, Any]:
    """The log group of the function `function` (a logical id), named as Lambda names its
    own default group but after the function's logical id (its generated name would make a
    cycle: the function names its group). Lambda would create a group by itself at the
    first invocation, kept forever and left behind by a deleted stack; the stack's own is
    created before the function and deleted with it."""
    return {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": {
            "LogGroupName": Sub(f"/aws/lambda/${{AWS::StackName}}-{function}"),
            "RetentionInDays": Ref(LOG_RETENTION_PARAMETER),
        },
    }


# ---------------------------------------------------------------- alarms


def _alarms(inventory: Inventory) -> dict[str, dict[str, Any]]:
    alarms: dict[str, dict[str, Any]] = {}
    for queue in inventory.queues:
        alarms[f"{queue.dead_letter_queue}NotEmptyAlarm"] = _alarm(
            f"{queue.dead_letter_queue}-not-empty",
            f"{queue.logical_id}'s consumer kept failing a message: it is in the DLQ.",
            "dead-letter-queue-not-empty",
            _queue_not_empty(queue.dead_letter_queue),
        )
    for function in inventory.stream_readers:
        for on_failure in function.on_failure_queues:
            alarms[f"{on_failure}NotEmptyAlarm"] = _alarm(
                f"{on_failure}-not-empty",
                f"{function.logical_id}'s stream mapping gave records up (retries or record "
                f"age spent): their invocation records are in {on_failure}.",
                "stream-records-given-up",
                _queue_not_empty(on_failure),
            )
    for queue in inventory.queues:
        alarms[f"{queue.logical_id}OldestMessageAlarm"] = _alarm(
            f"{queue.logical_id}-oldest-message",
            f"A message has waited in {queue.logical_id} over {OLDEST_MESSAGE_LIMIT_S} s.",
            "oldest-message-too-old",
            {
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateAgeOfOldestMessage",
                "Dimensions": [_dimension("QueueName", GetAtt(queue.logical_id, "QueueName"))],
                "Statistic": "Maximum",
                "Period": PERIOD_S,
                "EvaluationPeriods": 3,
                "Threshold": OLDEST_MESSAGE_LIMIT_S,
                "ComparisonOperator": "GreaterThanThreshold",
            },
        )
    for function in inventory.stream_readers:
        alarms[f"{function.logical_id}IteratorAgeAlarm"] = _alarm(
            f"{function.logical_id}-iterator-age",
            f"{function.logical_id} has been over {ITERATOR_AGE_LIMIT_MS // 1000} s behind its "
            "stream for 3 minutes.",
            "stream-iterator-age",
            {
                "Namespace": "AWS/Lambda",
                "MetricName": "IteratorAge",
                "Dimensions": [_dimension("FunctionName", Ref(function.logical_id))],
                "Statistic": "Maximum",
                "Period": PERIOD_S,
                "EvaluationPeriods": 3,
                "Threshold": ITERATOR_AGE_LIMIT_MS,
                "ComparisonOperator": "GreaterThanThreshold",
            },
        )
    for function in inventory.consumers:
        alarms[f"{function.logical_id}ErrorRateAlarm"] = _alarm(
            f"{function.logical_id}-error-rate",
            f"{function.logical_id} failed over {CONSUMER_ERROR_RATE_LIMIT_PERCENT}% of its "
            "invocations in 3 of 5 minutes.",
            "consumer-error-rate",
            {
                "Metrics": [
                    _lambda_query("errors", "Errors", function),
                    _lambda_query("invocations", "Invocations", function),
                    {
                        "Id": "errorRate",
                        "Label": "Error rate (%)",
                        "Expression": "100 * errors / invocations",
                        "ReturnData": True,
                    },
                ],
                "EvaluationPeriods": 5,
                "DatapointsToAlarm": 3,
                "Threshold": CONSUMER_ERROR_RATE_LIMIT_PERCENT,
                "ComparisonOperator": "GreaterThanThreshold",
            },
        )
    for api in inventory.apis:
        alarms[f"{api.logical_id}ServerErrorRateAlarm"] = _alarm(
            f"{api.logical_id}-5xx-rate",
            f"Over {API_5XX_RATE_LIMIT:.0%} of the API's requests answered 5xx in 3 of 5 minutes.",
            "api-5xx-rate",
            {
                "Namespace": "AWS/ApiGateway",
                "MetricName": "5XXError",
                "Dimensions": [
                    _dimension("ApiName", Ref("AWS::StackName")),
                    _dimension("Stage", _stage_value(api.stage)),
                ],
                "Statistic": "Average",
                "Period": PERIOD_S,
                "EvaluationPeriods": 5,
                "DatapointsToAlarm": 3,
                "Threshold": API_5XX_RATE_LIMIT,
                "ComparisonOperator": "GreaterThanThreshold",
            },
        )
    return alarms


def _alarm(name: str, description: str, runbook: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": Sub(f"${{AWS::StackName}}-{name}"),
            "AlarmDescription": f"{description} Runbook: {RUNBOOKS}#{runbook}",
            **settings,
            "TreatMissingData": "notBreaching",
            "AlarmActions": [Ref(ALARM_TOPIC)],
            "OKActions": [Ref(ALARM_TOPIC)],
        },
    }


def _queue_not_empty(queue: str) -> dict[str, Any]:
    return {
        "Namespace": "AWS/SQS",
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Dimensions": [_dimension("QueueName", GetAtt(queue, "QueueName"))],
        "Statistic": "Maximum",
        "Period": PERIOD_S,
        "EvaluationPeriods": 1,
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
    }


def _stage_value(stage: str | StageRef) -> str | Ref:
    return Ref(stage.name) if isinstance(stage, StageRef) else stage


def _dimension(name: str, value: Any) -> dict[str, Any]:
    return {"Name": name, "Value": value}


def _lambda_query(query_id: str, metric_name: str, function: Function) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/Lambda",
                "MetricName": metric_name,
                "Dimensions": [_dimension("FunctionName", Ref(function.logical_id))],
            },
            "Period": PERIOD_S,
            "Stat": "Sum",
        },
        "ReturnData": False,
    }


# ---------------------------------------------------------------- dashboard


def dashboard_body(inventory: Inventory, alarm_ids: list[str]) -> str:
    """The dashboard's JSON, for `!Sub`: ${Function} is a function's name, ${Queue.QueueName}
    a queue's, ${AWS::Region} and ${AWS::StackName} the stack's."""
    widgets = [
        _bar("Saga funnel: orders", [_business(name, "orders") for name in ORDER_FUNNEL]),
        _series("Payments", [_business(name, "payments") for name in PAYMENT_OUTCOMES], "Sum"),
        _series("Notifications sent", [_business("NotificationsSent", "notifications")], "Sum"),
        _series(
            "Saga duration, placement to terminal state (ms)",
            [
                [NAMESPACE, "SagaDuration", "service", "orders", {"stat": "Average"}],
                [NAMESPACE, "SagaDuration", "service", "orders", {"stat": "Maximum"}],
            ],
            "Average",
        ),
        *_api_widgets(inventory),
        _series("Lambda errors", _per_function(inventory.functions, "Errors"), "Sum"),
        _series("Lambda throttles", _per_function(inventory.functions, "Throttles"), "Sum"),
        _series("Lambda duration (ms)", _per_function(inventory.functions, "Duration"), "Average"),
        _series(
            "Cold starts",
            [
                [
                    NAMESPACE,
                    "ColdStart",
                    "function_name",
                    f"${{{f.logical_id}}}",
                    "service",
                    f.service,
                ]
                for f in inventory.functions
            ],
            "Sum",
        ),
        _series(
            "Age of oldest message (s)",
            _per_queue(
                [queue.logical_id for queue in inventory.queues], "ApproximateAgeOfOldestMessage"
            ),
            "Maximum",
        ),
        _series(
            "Messages waiting",
            _per_queue(
                [queue.logical_id for queue in inventory.queues],
                "ApproximateNumberOfMessagesVisible",
            ),
            "Maximum",
        ),
        _series(
            "Dead-letter queue depth",
            _per_queue(
                [queue.dead_letter_queue for queue in inventory.queues],
                "ApproximateNumberOfMessagesVisible",
            ),
            "Maximum",
        ),
        *_stream_widgets(inventory),
        {
            "type": "alarm",
            "properties": {
                "title": "Alarms",
                "alarms": [f"${{{alarm_id}.Arn}}" for alarm_id in alarm_ids],
            },
        },
    ]
    for index, widget in enumerate(widgets):
        widget.update(
            x=(index % WIDGETS_PER_ROW) * WIDGET_WIDTH,
            y=(index // WIDGETS_PER_ROW) * WIDGET_HEIGHT,
            width=WIDGET_WIDTH,
            height=WIDGET_HEIGHT,
        )
    return _dashboard_json({"widgets": [_ordered(widget) for widget in widgets]})


def _api_widgets(inventory: Inventory) -> list[dict[str, Any]]:
    if not inventory.apis:
        return []
    if len(inventory.apis) > 1:
        raise ValueError("The dashboard shows the routes of one API; the template has more.")
    given = inventory.apis[0].stage
    stage = f"${{{given.name}}}" if isinstance(given, StageRef) else given

    def per_route(metric_name: str) -> list[list[Any]]:
        return [
            [
                "AWS/ApiGateway",
                metric_name,
                "ApiName",
                "${AWS::StackName}",
                "Method",
                route.method,
                "Resource",
                route.path,
                "Stage",
                stage,
            ]
            for route, _ in inventory.routes
        ]

    return [
        _series("API 4XX errors per route", per_route("4XXError"), "Sum"),
        _series("API 5XX errors per route", per_route("5XXError"), "Sum"),
        _series("API latency per route (ms)", per_route("Latency"), "Average"),
        _series("API requests per route", per_route("Count"), "Sum"),
    ]


def _stream_widgets(inventory: Inventory) -> list[dict[str, Any]]:
    readers = inventory.stream_readers
    if not readers:
        return []
    return [
        _series("Stream iterator age (ms)", _per_function(readers, "IteratorAge"), "Maximum"),
        _series(
            "Stream records given up (on-failure queue depth)",
            _per_queue(
                [queue for function in readers for queue in function.on_failure_queues],
                "ApproximateNumberOfMessagesVisible",
            ),
            "Maximum",
        ),
    ]


def _business(name: str, service: str) -> list[Any]:
    return [NAMESPACE, name, "service", service]


def _per_function(functions: list[Function], metric_name: str) -> list[list[Any]]:
    return [
        ["AWS/Lambda", metric_name, "FunctionName", f"${{{function.logical_id}}}"]
        for function in functions
    ]


def _per_queue(logical_ids: list[str], metric_name: str) -> list[list[Any]]:
    return [
        ["AWS/SQS", metric_name, "QueueName", f"${{{queue}.QueueName}}"] for queue in logical_ids
    ]


def _series(title: str, metrics: list[list[Any]], stat: str) -> dict[str, Any]:
    return _metric_widget(title, metrics, stat, "timeSeries")


def _bar(title: str, metrics: list[list[Any]]) -> dict[str, Any]:
    return _metric_widget(title, metrics, "Sum", "bar")


def _metric_widget(title: str, metrics: list[list[Any]], stat: str, view: str) -> dict[str, Any]:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "view": view,
            "stacked": False,
            "region": "${AWS::Region}",
            "stat": stat,
            "period": PERIOD_S,
            "metrics": metrics,
        },
    }


def _ordered(widget: dict[str, Any]) -> dict[str, Any]:
    """Placement first, then what the widget shows, as the console writes it."""
    keys = ("type", "x", "y", "width", "height", "properties")
    return {key: widget[key] for key in keys}


def _dashboard_json(body: dict[str, Any]) -> str:
    """One line per widget, then one line per metric (or alarm) it shows."""
    widgets = []
    for widget in body["widgets"]:
        properties = dict(widget["properties"])
        rows_key = "metrics" if "metrics" in properties else "alarms"
        rows = properties.pop(rows_key)
        head = json.dumps({**widget, "properties": {**properties, rows_key: []}})
        head = head.removesuffix("]}}")
        lines = ",\n".join(f"      {json.dumps(row)}" for row in rows)
        widgets.append(f"    {head}\n{lines}\n    ]}}}}")
    return '{\n  "widgets": [\n' + ",\n".join(widgets) + "\n  ]\n}"
