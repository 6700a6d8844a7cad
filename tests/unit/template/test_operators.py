"""What CloudFormation receives, after SAM's transform, for the stack's operators: the alarm
e-mail subscribed to the alarm topic only when the deployer names an address, a log group
of the stack's own per function (the one its LoggingConfig names) kept for a period the
deployer chooses and deleted with the stack, layer names that differ from stack to stack,
and outputs that name the API, the user pool, the alarm topic and the dashboard."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from localcloud.cloudformation.template import parse_template, transform_template

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = [PROJECT_ROOT / "template.yaml", PROJECT_ROOT / "infrastructure/kafka/template.yaml"]
BASIC_EXECUTION = "AWSLambdaBasicExecutionRole"


@cache
def _transformed(path: Path) -> dict[str, Any]:
    template = parse_template(path.read_text())
    return transform_template(template, path.parent, region="us-east-1").template


@pytest.fixture(params=TEMPLATES, ids=["sns", "kafka"])
def template(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The template as CloudFormation receives it: SAM's transform applied."""
    return _transformed(request.param)


def of_type(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == kind}


def condition_holds(template: dict[str, Any], name: str, parameters: dict[str, str]) -> bool:
    """A condition of the form !Not [!Equals [!Ref Parameter, value]], as CloudFormation
    evaluates it."""
    [(function, (left, right))] = template["Conditions"][name]["Fn::Not"][0].items()
    assert function == "Fn::Equals"
    return bool(parameters[left["Ref"]] != right)


def test_the_alarm_email_is_subscribed_to_the_alarm_topic_only_when_one_is_given(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["AlarmEmail"]
    subscription = template["Resources"]["AlarmEmailSubscription"]

    assert (parameter["Type"], parameter["Default"]) == ("String", "")
    assert subscription["Type"] == "AWS::SNS::Subscription"
    assert subscription["Condition"] == "AlarmEmailGiven"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    assert not condition_holds(template, "AlarmEmailGiven", {"AlarmEmail": ""})
    assert condition_holds(template, "AlarmEmailGiven", {"AlarmEmail": "oncall@example.com"})
    assert template["Resources"]["AlarmTopic"]["Type"] == "AWS::SNS::Topic"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("", True), ("oncall@example.com", True), ("oncall", False), ("a b@example.com", False)],
)
def test_the_alarm_email_parameter_takes_an_address_or_nothing(
    template: dict[str, Any], value: str, accepted: bool
) -> None:
    pattern = template["Parameters"]["AlarmEmail"]["AllowedPattern"]

    assert bool(re.fullmatch(pattern, value)) is accepted


def test_the_log_retention_parameter_offers_exactly_what_cloudwatch_logs_accepts(
    template: dict[str, Any],
) -> None:
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::Logs::LogGroup")
    accepted = schema.schema["properties"]["RetentionInDays"]["enum"]
    parameter = template["Parameters"]["LogRetentionInDays"]

    assert parameter["Type"] == "Number"
    assert parameter["AllowedValues"] == accepted
    assert parameter["Default"] in accepted


def test_every_function_logs_to_a_log_group_of_the_stack_deleted_with_it(
    template: dict[str, Any],
) -> None:
    functions = of_type(template, "AWS::Lambda::Function")
    groups = of_type(template, "AWS::Logs::LogGroup")

    named = {
        logical_id: function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        for logical_id, function in functions.items()
    }

    assert functions and sorted(named.values()) == sorted(groups)
    for function, group_id in named.items():
        group = groups[group_id]
        assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Delete"
        assert group["Properties"] == {
            "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{function}"},
            "RetentionInDays": {"Ref": "LogRetentionInDays"},
        }


def test_each_function_may_write_to_its_log_group(template: dict[str, Any]) -> None:
    """SAM's AWSLambdaBasicExecutionRole: logs:CreateLogStream and PutLogEvents on any group,
    which is what Lambda needs for a group named in LoggingConfig."""
    resources = template["Resources"]
    for logical_id, function in of_type(template, "AWS::Lambda::Function").items():
        role = resources[function["Properties"]["Role"]["Fn::GetAtt"][0]]
        managed = [str(policy) for policy in role["Properties"]["ManagedPolicyArns"]]
        assert any(arn.endswith(f"/{BASIC_EXECUTION}") for arn in managed), logical_id


def test_layer_names_carry_the_stacks_name(template: dict[str, Any]) -> None:
    """A layer's name is the account's and region's: without the stack's name, dev, prod and
    the Kafka variant would publish versions of one layer (SAM names it after its logical
    id)."""
    layers = of_type(template, "AWS::Lambda::LayerVersion")

    names = [layer["Properties"]["LayerName"] for layer in layers.values()]

    assert names and all(name["Fn::Sub"].startswith("${AWS::StackName}-") for name in names)
    assert len({name["Fn::Sub"] for name in names}) == len(names)


def test_the_outputs_name_the_api_the_user_pool_the_alarm_topic_and_the_dashboard(
    template: dict[str, Any],
) -> None:
    outputs = {name: output["Value"] for name, output in template["Outputs"].items()}

    assert outputs["ApiUrl"] == {
        "Fn::Sub": "https://${PetStoreApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
        "/${StageName}"
    }
    assert outputs["UserPoolId"] == {"Ref": "UserPool"}
    assert outputs["UserPoolClientId"] == {"Ref": "UserPoolClient"}
    assert outputs["AlarmTopicArn"] == {"Ref": "AlarmTopic"}
    assert outputs["DashboardName"] == {"Ref": "OperationsDashboard"}
    assert outputs["DashboardUrl"] == {
        "Fn::Sub": "https://console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}"
        "#dashboards/dashboard/${OperationsDashboard}"
    }
