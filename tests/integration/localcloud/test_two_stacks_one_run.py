"""Two templates in one run, as an auth stack and a service stack of one account: the
service imports the auth stack's exports (`Fn::ImportValue`), its API's Cognito authorizer
trusts the other stack's pool, and CloudFormation's API shows both stacks."""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from localcloud.cloud import LocalCloudConfig
from localcloud.emulator.process import free_port
from localcloud.model import TemplateError
from localcloud.stack_group import StackGroup
from support.petstore_process import LOCALCLOUD, start_up

pytestmark = pytest.mark.integration

APP = Path(__file__).parent / "two_stack_app"


def _configs(*, service_overrides: dict[str, str] | None = None) -> list[LocalCloudConfig]:
    emulator_port = free_port()
    return [
        LocalCloudConfig(
            template=APP / folder / "template.yaml",
            stack_name=folder,
            api_port=free_port(),
            emulator_port=emulator_port,
            parameter_overrides=overrides,
            monitoring=None,
            quiet=True,
        )
        for folder, overrides in (("auth", {}), ("service", service_overrides or {}))
    ]


@pytest.fixture(scope="module")
def group() -> Iterator[StackGroup]:
    started = StackGroup(_configs())
    started.start()
    yield started
    started.stop()


def _outputs(group: StackGroup, stack: str) -> dict[str, str]:
    client = boto3.client("cloudformation", endpoint_url=group.clouds[0].endpoint_url)
    described = client.describe_stacks(StackName=stack)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described["Outputs"]}


def _token(group: StackGroup, username: str) -> str:
    auth = _outputs(group, "auth")
    cognito = boto3.client("cognito-idp", endpoint_url=group.clouds[0].endpoint_url)
    pool, client = auth["MembersPoolId"], auth["MembersClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=username, Password="Two-Stacks-2026", Permanent=True
    )
    result: dict[str, Any] = cognito.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Two-Stacks-2026"},
    )
    return str(result["AuthenticationResult"]["IdToken"])


def test_the_service_api_trusts_the_pool_the_auth_stack_exports(group: StackGroup) -> None:
    url = _outputs(group, "service")["ProfileApiUrl"]
    token = _token(group, "dana")

    anonymous = requests.get(url, timeout=30)
    signed_in = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    assert url == f"{group.clouds[1].api_url}/v1/profile"
    assert anonymous.status_code == 401
    assert signed_in.status_code == 200
    assert signed_in.json() == {
        "username": "dana",
        "pool": _outputs(group, "auth")["MembersPoolId"],
    }


def test_cloudformation_lists_both_stacks_and_the_auth_stacks_exports(group: StackGroup) -> None:
    client = boto3.client("cloudformation", endpoint_url=group.clouds[0].endpoint_url)

    stacks = {stack["StackName"] for stack in client.describe_stacks()["Stacks"]}
    exports = {export["Name"]: export for export in client.list_exports()["Exports"]}

    assert stacks == {"auth", "service"}
    assert set(exports) == {"auth-MembersPoolArn", "auth-MembersPoolId"}
    assert exports["auth-MembersPoolId"]["Value"] == _outputs(group, "auth")["MembersPoolId"]
    assert exports["auth-MembersPoolId"]["ExportingStackId"].split("/")[1] == "auth"


def test_the_lambda_api_invokes_a_function_of_either_stack(group: StackGroup) -> None:
    client = boto3.client("lambda", endpoint_url=group.clouds[0].endpoint_url)

    names = [f["FunctionName"] for f in client.list_functions()["Functions"]]
    configuration = client.get_function_configuration(FunctionName="service-ProfileFunction")

    assert names == ["service-ProfileFunction"]
    pool_id = _outputs(group, "auth")["MembersPoolId"]
    assert configuration["Environment"]["Variables"] == {"MEMBERS_POOL_ID": pool_id}


@pytest.mark.timeout(120)
def test_an_import_no_earlier_stack_exports_stops_the_start_naming_it() -> None:
    configs = _configs(service_overrides={"AuthStackName": "sign-in"})

    with pytest.raises(TemplateError) as refused:
        StackGroup(configs).start()

    message = str(refused.value)
    assert message.startswith(f"Stack service ({APP / 'service' / 'template.yaml'}): ")
    assert re.search(r"Fn::ImportValue sign-in-MembersPool(Arn|Id): No export named", message)
    assert message.endswith("in this run export: auth-MembersPoolArn, auth-MembersPoolId)")


def test_an_override_no_template_of_the_run_declares_is_refused() -> None:
    configs = _configs(service_overrides={"Stage": "prod"})

    with pytest.raises(TemplateError, match=r"unknown parameters: Stage \(no template"):
        StackGroup(configs).start()


def _two_free_ports() -> int:
    """A free port whose next one is free too: the second stack's API takes it."""
    while True:
        port = free_port()
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


@pytest.mark.timeout(120)
def test_localcloud_up_runs_two_templates_named_after_their_folders(tmp_path: Path) -> None:
    running = start_up(
        LOCALCLOUD,
        tmp_path,
        *("--port", str(_two_free_ports()), "--emulator-port", str(free_port())),
        *("--template", str(APP / "auth" / "template.yaml")),
        *("--template", str(APP / "service" / "template.yaml"), "--no-hot-reload"),
    )
    try:
        export = next(line for line in running.output if line.strip().startswith("export "))
        exported = dict(word.split("=", 1) for word in shlex.split(export)[1:])
        client = boto3.client(
            "cloudformation",
            endpoint_url=exported["AWS_ENDPOINT_URL"],
            region_name=exported["AWS_DEFAULT_REGION"],
            aws_access_key_id=exported["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exported["AWS_SECRET_ACCESS_KEY"],
        )
        stacks = {stack["StackName"] for stack in client.describe_stacks()["Stacks"]}
    finally:
        running.stop()

    assert stacks == {"auth", "service"}
    assert any("(stack service)" in line for line in running.output)


def test_localcloud_up_refuses_stack_names_that_do_not_pair_with_the_templates() -> None:
    run = subprocess.run(
        [*LOCALCLOUD, "up", "--template", "a.yaml", "--template", "b.yaml", "--stack-name", "a"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 1
    assert run.stderr.strip() == (
        "localcloud: 2 templates and 1 stack names: give one --stack-name per --template, "
        "in the same order"
    )
