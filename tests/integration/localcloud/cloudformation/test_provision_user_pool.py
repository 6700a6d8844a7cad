"""Provisioning a user pool as template.yaml declares it: the first admin created from a
parameter (invited by e-mail with a temporary password, in the admin group) or not at all,
the pool settings the emulator does not play listed as ignored, and the app clients' flows
enforced as Cognito enforces them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud.cloudformation.provision import provision
from localcloud.emulator.cognito import sent_messages
from localcloud.emulator.process import Emulator

pytestmark = pytest.mark.integration

TEMPLATE = Path(__file__).parents[1] / "templates" / "provision_user_pool.yaml"
ADMIN = "owner@example.com"
NEW_PASSWORD = "Owner-Chosen-2026"


def cognito(emulator: Emulator) -> Any:
    return boto3.client("cognito-idp", endpoint_url=emulator.endpoint_url, region_name="us-east-1")


def error_name(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_the_first_admin_is_invited_by_email_and_signs_in_as_an_admin(emulator: Emulator) -> None:
    stack = provision(
        TEMPLATE,
        emulator.endpoint_url,
        stack_name="firstadmin",
        parameter_overrides={"AdminEmail": ADMIN},
    )
    pool_id, client_id = stack.outputs["UserPoolId"], stack.outputs["WebClientId"]
    idp = cognito(emulator)

    [invitation] = sent_messages(emulator.endpoint_url, pool_id, ADMIN)
    challenge = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": ADMIN, "PASSWORD": invitation["code"]},
    )
    signed_in = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": ADMIN, "NEW_PASSWORD": NEW_PASSWORD},
    )

    assert invitation["kind"] == "invitation"
    assert invitation["subject"] == "Your temporary password"
    assert invitation["code"] in invitation["body"]
    assert invitation["expires_at"] - invitation["sent_at"] == pytest.approx(7 * 24 * 3600)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert "IdToken" in signed_in["AuthenticationResult"]
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username=ADMIN)["Groups"]
    assert [group["GroupName"] for group in groups] == ["admin"]


def test_provisioning_again_keeps_the_admin_and_sends_nothing_more(emulator: Emulator) -> None:
    first = provision(
        TEMPLATE,
        emulator.endpoint_url,
        stack_name="again",
        parameter_overrides={"AdminEmail": ADMIN},
    )
    again = provision(
        TEMPLATE,
        emulator.endpoint_url,
        stack_name="again",
        parameter_overrides={"AdminEmail": ADMIN},
    )

    assert again.outputs["UserPoolId"] == first.outputs["UserPoolId"]
    assert len(sent_messages(emulator.endpoint_url, first.outputs["UserPoolId"], ADMIN)) == 1


def test_without_an_admin_email_no_user_is_created(emulator: Emulator) -> None:
    stack = provision(TEMPLATE, emulator.endpoint_url, stack_name="noadmin")

    users = cognito(emulator).list_users(UserPoolId=stack.outputs["UserPoolId"])["Users"]

    assert users == []
    assert "FirstAdmin" not in stack.physical_ids


def test_pool_settings_the_emulator_does_not_play_are_listed_as_ignored(emulator: Emulator) -> None:
    stack = provision(TEMPLATE, emulator.endpoint_url, stack_name="ignoring")

    [line] = [line for line in stack.ignored if "EmailConfiguration" in line]
    assert line.startswith("UserPool (AWS::Cognito::UserPool): property EmailConfiguration")
    assert "ignored locally — no e-mail leaves the machine" in line


def test_a_client_refuses_a_flow_it_does_not_allow_and_case_does_not_matter(
    emulator: Emulator,
) -> None:
    stack = provision(
        TEMPLATE,
        emulator.endpoint_url,
        stack_name="flows",
        parameter_overrides={"AdminEmail": ADMIN},
    )
    idp = cognito(emulator)
    pool_id = stack.outputs["UserPoolId"]
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username=ADMIN, Password=NEW_PASSWORD, Permanent=True
    )

    def sign_in(client: str, username: str) -> Any:
        return idp.initiate_auth(
            ClientId=stack.outputs[client],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": NEW_PASSWORD},
        )

    with pytest.raises(ClientError) as refused:
        sign_in("SrpOnlyClientId", ADMIN)
    assert error_name(refused) == "InvalidParameterException"
    assert "USER_PASSWORD_AUTH flow not enabled for this client" in str(refused.value)
    assert "IdToken" in sign_in("WebClientId", ADMIN.upper())["AuthenticationResult"]
