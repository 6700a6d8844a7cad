"""Each function's role, as the SAM transform writes it, allows only item-level actions on
its own table (and the indexes it queries by name), publishing to its own topic, sending to
its own queue, and no wildcard: "its own" being what the function's environment names, and
the on-failure destination of its stream mapping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloudformation.intrinsics import referenced_names
from localcloud.cloudformation.template import parse_template, transform_template
from support.function_aliases import invoked_function

PROJECT_ROOT = Path(__file__).resolve().parents[3]
ITEM_ACTIONS = frozenset(
    {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:Query",
    }
)
TOPIC_ACTIONS = frozenset({"sns:Publish"})
QUEUE_ACTIONS = frozenset({"sqs:SendMessage"})
EMAIL_ACTIONS = frozenset({"ses:SendEmail", "cognito-idp:ListUsers"})
"""The notifications' e-mail: sending from the store's identity, reading shoppers' addresses."""
SAM_MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": "writing the function's own logs",
    "AWSXrayWriteOnlyAccess": "sending traces (Tracing: Active)",
    "AWSLambdaSQSQueueExecutionRole": "the SQS event source mapping's polling, which SAM "
    "attaches to every queue consumer and offers no way to narrow",
    "AWSLambdaDynamoDBExecutionRole": "the stream event source mapping's reading, likewise",
}
INDEX_ARN = re.compile(r"^\$\{(?P<table>\w+)\.Arn\}/index/(?P<index>[\w.-]+)$")
SES_ARN = re.compile(
    r"^arn:\$\{AWS::Partition\}:ses:\$\{AWS::Region\}:\$\{AWS::AccountId\}:"
    r"(identity/\$\{SenderEmail\}|configuration-set/\$\{EmailConfigurationSet\})$"
)
"""The one sender identity and configuration set the template makes."""

Statement = dict[str, Any]


def _template() -> dict[str, Any]:
    return parse_template((PROJECT_ROOT / "template.yaml").read_text())


def _transformed() -> dict[str, Any]:
    return transform_template(_template(), PROJECT_ROOT, region="us-east-1").template


TEMPLATE = _template()
RESOURCES = _transformed()["Resources"]
FUNCTIONS = sorted(
    logical_id
    for logical_id, resource in RESOURCES.items()
    if resource["Type"] == "AWS::Lambda::Function"
)


def role_of(function: str) -> dict[str, Any]:
    role_id = RESOURCES[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    role: dict[str, Any] = RESOURCES[role_id]["Properties"]
    return role


def allowed_statements(function: str) -> Iterator[Statement]:
    for policy in role_of(function).get("Policies", []):
        if "Fn::If" in policy:  # a policy for a feature the deployer may turn off
            policy = policy["Fn::If"][1]
        for statement in policy["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Allow":
                yield statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def own_resources(function: str) -> set[str]:
    """What its environment names, and the on-failure destinations of its event source
    mappings (Lambda sends to them with the function's role)."""
    environment = RESOURCES[function]["Properties"].get("Environment", {})
    return referenced_names(environment) | referenced_names(on_failure_destinations(function))


def on_failure_destinations(function: str) -> list[Any]:
    return [
        resource["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
        and invoked_function(resource["Properties"]["FunctionName"], RESOURCES) == function
        and "DestinationConfig" in resource["Properties"]
    ]


def index_names(table: str) -> set[str]:
    indexes = TEMPLATE["Resources"][table]["Properties"].get("GlobalSecondaryIndexes", [])
    return {index["IndexName"] for index in indexes}


def test_the_template_has_the_functions_of_every_service() -> None:
    assert len(FUNCTIONS) >= 20


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_may_only_do_item_actions_and_publish_with_no_wildcard(function: str) -> None:
    statements = list(allowed_statements(function))

    actions = {action for statement in statements for action in as_list(statement["Action"])}
    assert statements, f"{function} has no policy of its own"
    allowed = ITEM_ACTIONS | TOPIC_ACTIONS | QUEUE_ACTIONS | EMAIL_ACTIONS
    assert actions <= allowed, actions - allowed
    assert not [action for action in actions if "*" in action]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_may_only_touch_the_tables_and_topics_its_environment_names(
    function: str,
) -> None:
    own = own_resources(function)

    for statement in allowed_statements(function):
        for resource in as_list(statement["Resource"]):
            assert resource != "*" and "*" not in str(resource), (function, resource)
            named = {name for name in referenced_names(resource) if not name.startswith("AWS::")}
            assert named and named <= own, (function, resource, own)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_an_index_is_granted_by_its_name_and_exists_on_its_table(function: str) -> None:
    for statement in allowed_statements(function):
        for resource in as_list(statement["Resource"]):
            if isinstance(resource, dict) and "Fn::Sub" in resource:
                if SES_ARN.match(resource["Fn::Sub"]):
                    continue
                match = INDEX_ARN.match(resource["Fn::Sub"])
                assert match, (function, resource)
                assert match["index"] in index_names(match["table"]), (function, resource)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_managed_policies_are_only_the_ones_sam_attaches_for_logs_traces_and_polling(
    function: str,
) -> None:
    attached = {
        str(arn["Fn::Sub"] if isinstance(arn, dict) else arn).rsplit("/", 1)[-1]
        for arn in role_of(function).get("ManagedPolicyArns", [])
    }

    assert attached <= set(SAM_MANAGED_POLICIES), attached - set(SAM_MANAGED_POLICIES)


@pytest.mark.parametrize("function", sorted({f for f in FUNCTIONS if on_failure_destinations(f)}))
def test_a_mapping_with_an_on_failure_queue_may_send_to_it_which_sam_does_not_grant(
    function: str,
) -> None:
    # SAM adds a policy for a DestinationConfig only when given its Type; the template
    # grants sqs:SendMessage itself, on exactly that queue.
    [destination] = on_failure_destinations(function)
    sends = [
        statement["Resource"]
        for statement in allowed_statements(function)
        if "sqs:SendMessage" in as_list(statement["Action"])
    ]

    assert sends == [destination]
