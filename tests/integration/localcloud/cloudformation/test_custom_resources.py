"""Lambda-backed custom resources, provisioned as CloudFormation does: the function gets
a Create request with a pre-signed ResponseURL, and what it PUTs there decides the
resource (SUCCESS: its id and Data; FAILED: provisioning fails with its Reason)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import free_port
from localcloud.model import Stack, TemplateError

pytestmark = pytest.mark.integration

TEMPLATE = Path(__file__).parents[1] / "templates" / "custom_resource.yaml"


def provisioned(outcome: str) -> Stack:
    cloud = LocalCloud(
        LocalCloudConfig(
            template=TEMPLATE,
            stack_name="crtest",
            api_port=free_port(),
            emulator_port=free_port(),
            parameter_overrides={"Outcome": outcome},
            monitoring=None,
            quiet=True,
        )
    )
    cloud.start_functions_only()
    try:
        assert cloud.stack is not None
        return cloud.stack
    finally:
        cloud.stop()


@pytest.fixture(scope="module")
def stack() -> Stack:
    return provisioned("SUCCESS")


def test_a_custom_resource_is_what_its_function_answers_on_the_response_url(stack: Stack) -> None:
    reader = stack.functions["GreetingReader"].environment

    assert reader["GREETING"] == "hello world x3"
    assert reader["GREETING_ID"] == "greeting-Greeting"
    assert stack.physical_ids["Greeting"] == "greeting-Greeting"


def test_the_request_is_a_create_with_the_properties_as_cloudformation_sends_them(
    stack: Stack,
) -> None:
    request = json.loads(stack.functions["GreetingReader"].environment["GREETING_REQUEST"])

    assert request["RequestType"] == "Create"
    assert request["ResourceType"] == "Custom::Greeting"
    assert request["LogicalResourceId"] == "Greeting"
    assert request["StackId"].startswith("arn:aws:cloudformation:us-east-1:")
    assert request["ResponseURL"].startswith("http://127.0.0.1:")
    assert request["ResourceProperties"] == {
        "ServiceToken": stack.functions["GreetingProvider"].arn,
        "Outcome": "SUCCESS",
        "Repeat": "3",
        "Loud": "true",
        "Words": ["hello", "world"],
    }


def test_a_failed_answer_fails_provisioning_with_its_reason() -> None:
    with pytest.raises(
        TemplateError, match=r"Greeting \(Custom::Greeting\).*the provider was told to fail"
    ):
        provisioned("FAILED")


def test_a_function_that_never_answers_fails_provisioning_naming_its_error() -> None:
    with pytest.raises(
        TemplateError, match=r"without answering.*the provider crashed before answering"
    ):
        provisioned("CRASH")
