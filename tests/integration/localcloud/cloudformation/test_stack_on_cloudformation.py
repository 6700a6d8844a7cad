"""The running stack on CloudFormation's API at the emulator's endpoint: an app's own
integration tests, which find their API and queue through DescribeStacks outputs (via
AWS_SAM_STACK_NAME), pass unchanged against the local cloud."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import free_port
from support.petstore_process import LOCALCLOUD, start_up

pytestmark = pytest.mark.integration

APP = Path(__file__).parents[1] / "stack_app"
STACK = "orders-app"
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    started = LocalCloud(
        LocalCloudConfig(
            template=APP / "template.yaml",
            stack_name=STACK,
            api_port=free_port(),
            emulator_port=free_port(),
            parameter_overrides={"Environment": "test"},
            monitoring=None,
            quiet=True,
        )
    )
    started.start()
    yield started
    started.stop()


def _cloudformation(cloud: LocalCloud) -> Any:
    return boto3.client("cloudformation", endpoint_url=cloud.endpoint_url, region_name="us-east-1")


def _physical(cloud: LocalCloud, logical_id: str) -> str:
    assert cloud.stack is not None
    return cloud.stack.physical_ids[logical_id]


def _apps_own_tests(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The sample app's integration tests, run as its team runs them (their own rootdir)."""
    tests = APP / "tests" / "integration" / "test_orders_stack.py"
    return subprocess.run(
        [*PYTEST, str(tests), "--rootdir", str(APP), "--confcutdir", str(APP), "-c", os.devnull],
        env=environment,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )


@pytest.mark.timeout(180)
def test_the_apps_own_integration_tests_pass_unchanged_against_the_local_cloud(
    cloud: LocalCloud,
) -> None:
    run = _apps_own_tests(
        {
            **os.environ,
            "AWS_SAM_STACK_NAME": STACK,
            "AWS_ENDPOINT_URL": cloud.endpoint_url,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout


@pytest.mark.timeout(240)
def test_the_apps_tests_pass_with_the_export_line_localcloud_up_prints(tmp_path: Path) -> None:
    """As another team works: `localcloud up` in one terminal, its export line and the
    app's tests in another."""
    running = start_up(
        LOCALCLOUD,
        tmp_path,
        *("--template", str(APP / "template.yaml"), "--stack-name", "their-stack"),
        *("--parameter-overrides", "Environment=dev Greeting='good day'"),
        *("--env-vars", str(APP / "env.json"), "--no-hot-reload"),
    )
    try:
        export = next(line for line in running.output if line.strip().startswith("export "))
        exported = dict(word.split("=", 1) for word in shlex.split(export)[1:])
        environment = {
            name: value for name, value in os.environ.items() if not name.startswith("AWS_")
        }

        run = _apps_own_tests({**environment, **exported})
    finally:
        running.stop()

    assert exported["AWS_SAM_STACK_NAME"] == "their-stack"
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout


def test_describe_stacks_answers_as_cloudformation_with_outputs_pointing_at_the_local_api(
    cloud: LocalCloud,
) -> None:
    stack = _cloudformation(cloud).describe_stacks(StackName=STACK)["Stacks"][0]

    assert stack["StackName"] == STACK
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["StackId"].startswith(
        f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/"
    )
    assert stack["Description"].startswith("orders-app: a REST API")
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {
        "Environment": "test",
        "Greeting": "hello",
        "ApiToken": "****",
    }
    outputs = {output["OutputKey"]: output for output in stack["Outputs"]}
    assert outputs["OrdersApi"]["OutputValue"] == f"{cloud.api_url}/Prod/"
    assert outputs["OrdersApi"]["Description"].startswith("API Gateway endpoint URL")
    assert outputs["OrdersQueueName"]["ExportName"] == f"{STACK}-OrdersQueueName"
    assert outputs["OrdersTableName"]["OutputValue"] == _physical(cloud, "OrdersTable")


def test_describe_stacks_by_stack_id_and_without_a_name_find_the_stack(cloud: LocalCloud) -> None:
    client = _cloudformation(cloud)
    stack_id = client.describe_stacks(StackName=STACK)["Stacks"][0]["StackId"]

    by_id = client.describe_stacks(StackName=stack_id)["Stacks"]
    every = client.describe_stacks()["Stacks"]

    assert [s["StackName"] for s in by_id] == [STACK]
    assert STACK in [s["StackName"] for s in every]


def test_a_stack_that_does_not_run_is_a_validation_error_as_aws_answers(cloud: LocalCloud) -> None:
    with pytest.raises(ClientError) as refused:
        _cloudformation(cloud).describe_stacks(StackName="no-such-stack")

    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "no-such-stack" in refused.value.response["Error"]["Message"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_stack_resources_carry_their_real_physical_ids_and_types(cloud: LocalCloud) -> None:
    client = _cloudformation(cloud)

    listed = client.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    described = client.describe_stack_resources(StackName=STACK)["StackResources"]
    one = client.describe_stack_resource(StackName=STACK, LogicalResourceId="OrdersQueue")

    summaries = {r["LogicalResourceId"]: r for r in listed}
    assert summaries["OrdersQueue"]["PhysicalResourceId"] == _physical(cloud, "OrdersQueue")
    assert summaries["OrdersQueue"]["ResourceType"] == "AWS::SQS::Queue"
    assert summaries["PlaceOrderFunction"]["PhysicalResourceId"] == f"{STACK}-PlaceOrderFunction"
    assert summaries["PlaceOrderFunction"]["ResourceType"] == "AWS::Lambda::Function"
    assert summaries["ServerlessRestApi"]["ResourceType"] == "AWS::ApiGateway::RestApi"
    assert {r["ResourceStatus"] for r in listed} == {"CREATE_COMPLETE"}
    assert {r["LogicalResourceId"] for r in described} == set(summaries)
    detail = one["StackResourceDetail"]
    assert detail["PhysicalResourceId"] == _physical(cloud, "OrdersQueue")
    assert detail["StackName"] == STACK


def test_describe_stack_resources_filters_by_logical_id(cloud: LocalCloud) -> None:
    resources = _cloudformation(cloud).describe_stack_resources(
        StackName=STACK, LogicalResourceId="OrdersTable"
    )["StackResources"]

    assert [(r["LogicalResourceId"], r["PhysicalResourceId"]) for r in resources] == [
        ("OrdersTable", _physical(cloud, "OrdersTable"))
    ]


def test_a_resource_the_stack_does_not_hold_is_a_validation_error(cloud: LocalCloud) -> None:
    with pytest.raises(ClientError) as refused:
        _cloudformation(cloud).describe_stack_resource(
            StackName=STACK, LogicalResourceId="NoSuchThing"
        )

    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "NoSuchThing" in refused.value.response["Error"]["Message"]


def test_list_exports_shows_the_stacks_exported_outputs(cloud: LocalCloud) -> None:
    exports = _cloudformation(cloud).list_exports()["Exports"]

    assert {e["Name"]: e["Value"] for e in exports} == {
        f"{STACK}-OrdersQueueName": _physical(cloud, "OrdersQueue").rsplit("/", 1)[1]
    }


def test_the_api_answers_under_the_stage_prefix_the_outputs_show_and_at_the_bare_path(
    cloud: LocalCloud,
) -> None:
    staged = requests.get(f"{cloud.api_url}/Prod/orders/nothing-here", timeout=30)
    bare = requests.get(f"{cloud.api_url}/orders/nothing-here", timeout=30)
    wrong_stage = requests.get(f"{cloud.api_url}/Dev/orders/nothing-here", timeout=30)

    assert staged.status_code == bare.status_code == 404
    assert staged.json() == bare.json() == {"message": "no order nothing-here"}
    assert wrong_stage.status_code == 403


def test_what_cannot_be_emulated_is_listed_as_ignored_locally_and_still_a_stack_resource(
    cloud: LocalCloud,
) -> None:
    assert cloud.stack is not None
    ignored = "\n".join(cloud.stack.ignored)
    resources = _cloudformation(cloud).list_stack_resources(StackName=STACK)

    assert (
        "ApiGatewayAccount (AWS::ApiGateway::Account): ignored locally — the account's API "
        "Gateway logging role has no local effect"
    ) in ignored
    assert (
        "BrokenFunctionEventInvokeConfig (AWS::Lambda::EventInvokeConfig): ignored locally — "
        "an asynchronous invocation (InvocationType Event) runs once locally"
    ) in ignored
    assert {"ApiGatewayAccount", "BrokenFunctionEventInvokeConfig"} <= {
        r["LogicalResourceId"] for r in resources["StackResourceSummaries"]
    }
