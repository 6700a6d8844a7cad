"""template.yaml's dashboard, alarms and alarm topic are generated from its functions and
queues (infrastructure/operations), and the committed block must not drift from them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloudformation.template import parse_template
from operations.generate import BEGIN, END, with_block, without_block

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = REPO_ROOT / "template.yaml"
RUNBOOKS = REPO_ROOT / "docs" / "runbooks.md"
NEW_CONSUMER = """
  ShippingDeadLetterQueue:
    Type: AWS::SQS::Queue

  ShippingQueue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt ShippingDeadLetterQueue.Arn
        maxReceiveCount: 5

  ShippingFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: shipping.handlers.handle_order_events.lambda_handler
      Environment:
        Variables:
          POWERTOOLS_SERVICE_NAME: shipping
      Events:
        Queue:
          Type: SQS
          Properties:
            Queue: !GetAtt ShippingQueue.Arn
"""


@pytest.fixture(scope="module")
def template_text() -> str:
    return TEMPLATE.read_text()


@pytest.fixture(scope="module")
def resources(template_text: str) -> dict[str, Any]:
    parsed: dict[str, Any] = parse_template(template_text)["Resources"]
    return parsed


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {key: value for key, value in resources.items() if value["Type"] == kind}


def test_the_committed_operations_block_is_what_the_generator_writes(template_text: str) -> None:
    assert with_block(template_text) == template_text, (
        "template.yaml's operations block is out of date: run `make operations`"
    )


def stream_mappings(resources: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(function, event properties) of every DynamoDB stream event of the template."""
    return [
        (function, event["Properties"])
        for function, resource in of_type(resources, "AWS::Serverless::Function").items()
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "DynamoDB"
    ]


def test_every_dead_letter_and_on_failure_queue_has_an_alarm_that_notifies_the_alarm_topic(
    resources: dict[str, Any],
) -> None:
    dead_letter_queues = {
        queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for queue in of_type(resources, "AWS::SQS::Queue").values()
        if "RedrivePolicy" in queue.get("Properties", {})
    }
    on_failure_queues = {
        properties["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        for _, properties in stream_mappings(resources)
    }
    assert len(on_failure_queues) == 3
    dead_letter_queues |= on_failure_queues
    alarmed = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    }

    assert dead_letter_queues and alarmed == dead_letter_queues
    for alarm in of_type(resources, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert alarm["Properties"]["OKActions"] == [{"Ref": "AlarmTopic"}]


def test_every_event_consumer_has_an_error_rate_alarm(resources: dict[str, Any]) -> None:
    consumers = {
        logical_id
        for logical_id, function in of_type(resources, "AWS::Serverless::Function").items()
        if any(
            event["Type"] != "Api" for event in function["Properties"].get("Events", {}).values()
        )
    }
    alarmed = {
        alarm["Properties"]["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
        for alarm in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if "Metrics" in alarm["Properties"]
    }

    assert consumers and alarmed == consumers


def test_the_dashboard_names_only_what_the_template_has(resources: dict[str, Any]) -> None:
    body = resources["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    parameters = parse_template(TEMPLATE.read_text())["Parameters"]

    names = {match.split(".")[0] for match in re.findall(r"\$\{([^}]+)\}", body)}

    assert names - set(resources) - set(parameters) == {"AWS::Region", "AWS::StackName"}
    widgets = json.loads(body)["widgets"]
    assert {widget["type"] for widget in widgets} == {"metric", "alarm"}


def test_a_consumer_added_to_the_template_gets_its_panels_and_alarms(template_text: str) -> None:
    grown = template_text.replace("\nOutputs:", NEW_CONSUMER + "\nOutputs:", 1)

    generated = parse_template(with_block(grown))["Resources"]

    assert {
        "ShippingDeadLetterQueueNotEmptyAlarm",
        "ShippingQueueOldestMessageAlarm",
        "ShippingFunctionErrorRateAlarm",
    } <= set(generated)
    body = generated["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert "${ShippingFunction}" in body
    assert "${ShippingDeadLetterQueue.QueueName}" in body


def test_generating_again_changes_nothing_and_the_block_can_be_taken_out(
    template_text: str,
) -> None:
    once = with_block(template_text)

    assert with_block(once) == once
    base = without_block(once)
    assert BEGIN not in base and END not in base
    assert with_block(base) == once


def test_every_alarm_links_to_a_runbook_section_that_exists(resources: dict[str, Any]) -> None:
    headings = re.findall(r"^## (.+)$", RUNBOOKS.read_text(), flags=re.MULTILINE)
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-") for heading in headings
    }

    linked = {
        alarm["Properties"]["AlarmDescription"].rpartition("#")[2]
        for alarm in of_type(resources, "AWS::CloudWatch::Alarm").values()
    }

    assert linked == anchors


def test_every_stream_mapping_has_an_iterator_age_alarm_and_a_dashboard_line(
    resources: dict[str, Any],
) -> None:
    readers = {function for function, _ in stream_mappings(resources)}
    iterator_age_alarms = [
        alarm["Properties"]
        for alarm in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "IteratorAge"
    ]
    dashboard = resources["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widget = next(
        w
        for w in json.loads(dashboard)["widgets"]
        if w["properties"].get("title") == "Stream iterator age (ms)"
    )

    assert len(readers) == 3
    assert {alarm["Dimensions"][0]["Value"]["Ref"] for alarm in iterator_age_alarms} == readers
    for alarm in iterator_age_alarms:
        assert alarm["Namespace"] == "AWS/Lambda"
        assert alarm["Dimensions"][0]["Name"] == "FunctionName"
        assert alarm["Statistic"] == "Maximum"
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert {tuple(line) for line in widget["properties"]["metrics"]} == {
        ("AWS/Lambda", "IteratorAge", "FunctionName", f"${{{reader}}}") for reader in readers
    }
