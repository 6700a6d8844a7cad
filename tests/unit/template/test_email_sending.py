"""What CloudFormation receives for the notifications' e-mail: a sender identity and a
configuration set only when the deployer names a sender, a sending permission scoped to
that identity and configuration set, the user pool read for addresses, and bounces and
complaints routed to the consumer that stops e-mail to those addresses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from localcloud.cloudformation.template import parse_template

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = [PROJECT_ROOT / "template.yaml", PROJECT_ROOT / "infrastructure/kafka/template.yaml"]
SENDING_FUNCTIONS = (
    "SendNotificationFunction",
    "NotificationOrderEventsFunction",
    "NotificationPaymentEventsFunction",
)
SES_RESOURCES = ("SenderIdentity", "EmailConfigurationSet", "EmailFeedbackDestination")


@pytest.fixture(params=TEMPLATES, ids=lambda path: path.parent.name)
def template(request: pytest.FixtureRequest) -> dict[str, Any]:
    return parse_template(request.param.read_text())


def resource(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return dict(template["Resources"][logical_id])


def test_ses_resources_exist_only_when_a_sender_is_named(template: dict[str, Any]) -> None:
    assert template["Parameters"]["SenderEmail"]["Default"] == ""
    assert template["Conditions"]["EmailEnabled"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "SenderEmail"}, ""]}]
    }
    for logical_id in SES_RESOURCES:
        assert resource(template, logical_id)["Condition"] == "EmailEnabled"
    identity = resource(template, "SenderIdentity")["Properties"]
    assert identity["EmailIdentity"] == {"Ref": "SenderEmail"}


@pytest.mark.parametrize("function", SENDING_FUNCTIONS)
def test_sending_is_allowed_from_the_sender_identity_and_configuration_set_only(
    template: dict[str, Any], function: str
) -> None:
    properties = resource(template, function)["Properties"]
    [conditional] = [p for p in properties["Policies"] if "Fn::If" in p]
    condition, policy, otherwise = conditional["Fn::If"]
    assert (condition, otherwise) == ("EmailEnabled", {"Ref": "AWS::NoValue"})
    statements = {s["Action"]: s["Resource"] for s in policy["Statement"]}
    assert statements["ses:SendEmail"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"
            ":identity/${SenderEmail}"
        },
        {
            "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"
            ":configuration-set/${EmailConfigurationSet}"
        },
    ]
    assert statements["cognito-idp:ListUsers"] == {"Fn::GetAtt": ["UserPool", "Arn"]}
    variables = properties["Environment"]["Variables"]
    assert variables["SENDER_EMAIL"] == {"Ref": "SenderEmail"}
    assert variables["USER_POOL_ID"] == {"Ref": "UserPool"}


def test_bounces_and_complaints_reach_the_feedback_consumer(template: dict[str, Any]) -> None:
    destination = resource(template, "EmailFeedbackDestination")["Properties"]["EventDestination"]
    assert sorted(destination["MatchingEventTypes"]) == ["bounce", "complaint"]
    assert destination["SnsDestination"]["TopicARN"] == {"Ref": "EmailFeedbackTopic"}
    subscription = resource(template, "EmailFeedbackSubscription")["Properties"]
    assert subscription["TopicArn"] == {"Ref": "EmailFeedbackTopic"}
    assert subscription["Endpoint"] == {"Fn::GetAtt": ["EmailFeedbackQueue", "Arn"]}
    consumer = resource(template, "EmailFeedbackFunction")["Properties"]
    assert consumer["Events"]["Queue"]["Properties"]["Queue"] == {
        "Fn::GetAtt": ["EmailFeedbackQueue", "Arn"]
    }
    [statement] = consumer["Policies"][0]["Statement"]
    assert statement["Action"] == "dynamodb:PutItem"


def test_ses_may_publish_to_the_feedback_topic(template: dict[str, Any]) -> None:
    policy = resource(template, "EmailFeedbackTopicPolicy")["Properties"]["PolicyDocument"]
    [allow] = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "ses.amazonaws.com"}
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
