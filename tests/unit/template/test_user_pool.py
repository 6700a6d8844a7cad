"""What CloudFormation receives for the shoppers' user pool, its app client and the first
admin: e-mail sign-in with a verification code, a password policy, a public client that a
browser or a command line can sign in with, ID tokens that carry `email`, and an admin
created at deploy time only when the deployer names one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from localcloud.cloudformation.template import parse_template

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = [PROJECT_ROOT / "template.yaml", PROJECT_ROOT / "infrastructure/kafka/template.yaml"]
COGNITO_RESOURCES = (
    "UserPool",
    "UserPoolClient",
    "AdminGroup",
    "FirstAdmin",
    "FirstAdminInAdminGroup",
)


@pytest.fixture(params=TEMPLATES, ids=lambda path: path.parent.name)
def template(request: pytest.FixtureRequest) -> dict[str, Any]:
    return parse_template(request.param.read_text())


def properties(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return dict(template["Resources"][logical_id]["Properties"])


def condition_holds(template: dict[str, Any], name: str, parameters: dict[str, str]) -> bool:
    """A condition evaluated as CloudFormation would, for the functions it uses."""

    def value(node: Any) -> Any:
        if isinstance(node, dict) and "Ref" in node:
            return parameters[node["Ref"]]
        return node

    def truth(node: Any) -> bool:
        [(function, argument)] = node.items()
        if function == "Fn::Not":
            return not truth(argument[0])
        if function == "Fn::Equals":
            return bool(value(argument[0]) == value(argument[1]))
        raise AssertionError(f"unexpected condition function {function}")

    return truth(template["Conditions"][name])


def test_shoppers_sign_in_with_their_email_which_a_code_verifies(template: dict[str, Any]) -> None:
    pool = properties(template, "UserPool")

    assert pool["UsernameAttributes"] == ["email"]
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["VerificationMessageTemplate"] == {"DefaultEmailOption": "CONFIRM_WITH_CODE"}
    assert pool["AccountRecoverySetting"] == {
        "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
    }
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False


def test_a_custom_verification_message_comes_only_with_the_developers_own_ses_sender(
    template: dict[str, Any],
) -> None:
    """Cognito takes EmailMessage and EmailSubject only when EmailSendingAccount is
    DEVELOPER (VerificationMessageTemplateType in the Cognito API reference)."""
    pool = properties(template, "UserPool")
    sending_account = pool.get("EmailConfiguration", {}).get("EmailSendingAccount")
    custom = {"EmailMessage", "EmailSubject", "EmailMessageByLink", "EmailSubjectByLink"}

    if sending_account != "DEVELOPER":
        assert not custom & set(pool["VerificationMessageTemplate"])
        assert "EmailVerificationMessage" not in pool
        assert "EmailVerificationSubject" not in pool


def test_passwords_need_twelve_characters_with_mixed_case_and_a_number(
    template: dict[str, Any],
) -> None:
    policy = properties(template, "UserPool")["Policies"]["PasswordPolicy"]

    assert policy == {
        "MinimumLength": 12,
        "RequireLowercase": True,
        "RequireUppercase": True,
        "RequireNumbers": True,
        "RequireSymbols": False,
        "TemporaryPasswordValidityDays": 7,
    }


def test_the_app_client_is_public_and_signs_in_with_a_password_srp_or_a_refresh_token(
    template: dict[str, Any],
) -> None:
    client = properties(template, "UserPoolClient")

    assert client["UserPoolId"] == {"Ref": "UserPool"}
    assert client["GenerateSecret"] is False
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert client["PreventUserExistenceErrors"] == "ENABLED"


def test_id_tokens_carry_the_email_and_whether_it_is_verified(template: dict[str, Any]) -> None:
    client = properties(template, "UserPoolClient")

    assert {"email", "email_verified"} <= set(client["ReadAttributes"])
    assert client["WriteAttributes"] == ["email"]


def test_the_first_admin_is_created_in_the_admin_group_only_when_an_email_is_given(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["AdminEmail"]
    admin, attachment = (template["Resources"][name] for name in COGNITO_RESOURCES[3:])

    assert parameter["Type"] == "String"
    assert parameter["Default"] == ""
    assert admin["Condition"] == attachment["Condition"] == "FirstAdminGiven"
    assert not condition_holds(template, "FirstAdminGiven", {"AdminEmail": ""})
    assert condition_holds(template, "FirstAdminGiven", {"AdminEmail": "owner@example.com"})
    assert admin["Properties"] == {
        "UserPoolId": {"Ref": "UserPool"},
        "Username": {"Ref": "AdminEmail"},
        "DesiredDeliveryMediums": ["EMAIL"],
        "UserAttributes": [
            {"Name": "email", "Value": {"Ref": "AdminEmail"}},
            {"Name": "email_verified", "Value": "true"},
        ],
    }
    assert "MessageAction" not in admin["Properties"]  # Cognito e-mails the temporary password
    assert attachment["DependsOn"] == "FirstAdmin"
    assert attachment["Properties"] == {
        "UserPoolId": {"Ref": "UserPool"},
        "GroupName": {"Ref": "AdminGroup"},
        "Username": {"Ref": "AdminEmail"},
    }
    assert properties(template, "AdminGroup")["GroupName"] == "admin"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("", True), ("owner@example.com", True), ("owner", False), ("a b@example.com", False)],
)
def test_the_admin_email_parameter_takes_an_address_or_nothing(
    template: dict[str, Any], value: str, accepted: bool
) -> None:
    pattern = template["Parameters"]["AdminEmail"]["AllowedPattern"]

    assert bool(re.fullmatch(pattern, value)) is accepted


def test_every_cognito_property_is_one_cloudformation_documents(template: dict[str, Any]) -> None:
    """Property names checked against CloudFormation's own resource schemas (cfn-lint's
    copy), nested ones included for the pool's settings."""
    for logical_id in COGNITO_RESOURCES:
        resource = template["Resources"][logical_id]
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource["Type"]).schema
        assert set(resource["Properties"]) <= set(schema["properties"]), logical_id
    pool_schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(
        "us-east-1", "AWS::Cognito::UserPool"
    ).schema
    pool = properties(template, "UserPool")
    definitions = pool_schema["definitions"]
    assert set(pool["VerificationMessageTemplate"]) <= set(
        definitions["VerificationMessageTemplate"]["properties"]
    )
    assert set(pool["Policies"]["PasswordPolicy"]) <= set(
        definitions["PasswordPolicy"]["properties"]
    )
    client_schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(
        "us-east-1", "AWS::Cognito::UserPoolClient"
    ).schema
    flows = client_schema["properties"]["ExplicitAuthFlows"]["items"]["enum"]
    assert set(properties(template, "UserPoolClient")["ExplicitAuthFlows"]) <= set(flows)
