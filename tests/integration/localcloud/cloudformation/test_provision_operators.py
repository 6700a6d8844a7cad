"""Provisioning what template.yaml gives its operators: the alarm e-mail subscribed to the
alarm topic in the emulated SNS when an address is given (and listed as delivering nothing
locally), the functions' log groups with their retention, each function's lines going to
the group its LoggingConfig names, and the outputs that name the topic and the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from localcloud.cloudformation.provision import provision
from localcloud.emulator.process import Emulator

pytestmark = pytest.mark.integration

TEMPLATE = Path(__file__).parents[1] / "templates" / "provision_operators.yaml"
OPERATOR = "oncall@example.com"


def client(emulator: Emulator, service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service, endpoint_url=emulator.endpoint_url, region_name="us-east-1"
    )


def test_the_alarm_email_is_subscribed_to_the_alarm_topic_and_listed_as_never_delivered(
    emulator: Emulator,
) -> None:
    stack = provision(
        TEMPLATE,
        emulator.endpoint_url,
        stack_name="opsmail",
        parameter_overrides={"AlarmEmail": OPERATOR},
    )
    topic = stack.outputs["AlarmTopicArn"]

    [subscription] = client(emulator, "sns").list_subscriptions_by_topic(TopicArn=topic)[
        "Subscriptions"
    ]

    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", OPERATOR)
    assert stack.physical_ids["AlarmEmailSubscription"].startswith(f"{topic}:")
    assert (
        "AlarmEmailSubscription (AWS::SNS::Subscription): property Protocol email: ignored "
        "locally — the subscription exists in the emulated SNS, but no e-mail leaves the machine"
    ) in stack.ignored


def test_without_an_alarm_email_the_alarm_topic_has_no_subscriber(emulator: Emulator) -> None:
    stack = provision(TEMPLATE, emulator.endpoint_url, stack_name="opsquiet")

    subscriptions = client(emulator, "sns").list_subscriptions_by_topic(
        TopicArn=stack.outputs["AlarmTopicArn"]
    )["Subscriptions"]

    assert subscriptions == []
    assert "AlarmEmailSubscription" not in stack.physical_ids


def test_the_functions_log_group_has_its_retention_and_is_the_one_it_logs_to(
    emulator: Emulator,
) -> None:
    stack = provision(
        TEMPLATE,
        emulator.endpoint_url,
        stack_name="opslogs",
        parameter_overrides={"LogRetentionInDays": "14"},
    )
    name = "/aws/lambda/opslogs-OrdersFunction"

    [group] = client(emulator, "logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]

    assert (group["logGroupName"], group["retentionInDays"]) == (name, 14)
    assert stack.physical_ids["OrdersFunctionLogGroup"] == name
    assert stack.functions["OrdersFunction"].log_group_name == name
    assert (
        "OrdersFunction (AWS::Lambda::Function): property LoggingConfig.LogFormat: ignored "
        "locally — lines are shipped as the handler writes them"
    ) in stack.ignored


def test_the_outputs_name_the_alarm_topic_and_the_dashboard(emulator: Emulator) -> None:
    stack = provision(TEMPLATE, emulator.endpoint_url, stack_name="opsout")

    topics = client(emulator, "sns").list_topics()["Topics"]
    dashboard = client(emulator, "cloudwatch").get_dashboard(DashboardName="opsout-operations")

    assert {"TopicArn": stack.outputs["AlarmTopicArn"]} in topics
    assert stack.outputs["DashboardName"] == dashboard["DashboardName"] == "opsout-operations"
    assert stack.outputs["DashboardUrl"] == (
        "https://console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#dashboards/dashboard/opsout-operations"
    )
